SELECT o.id, p.amount
FROM orders o
INNER JOIN payments p ON o.id = p.order_id WITHIN INTERVAL '5' MINUTES
EMIT CHANGES

-- expect-strategy: always_hash
-- expect-keys: ["id"]
-- expect-source-keys: {"orders": ["id"], "payments": ["order_id"]}
