SELECT order_id, amount * 2 AS doubled
FROM orders
WHERE amount > 100 AND status IN ('NEW', 'OPEN') AND note NOT LIKE '%test%' AND ref IS NOT NULL

-- expect-strategy: round_robin
-- expect-keys: []
