SELECT c.region, COUNT(*) FROM orders o JOIN customers c ON o.customer_id = c.id GROUP BY c.region

-- expect-strategy: fan_in
-- expect-keys: []
