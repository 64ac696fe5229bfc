SELECT o.order_id, c.name FROM orders o JOIN customers c ON o.customer_id = c.id

-- expect-strategy: always_hash
-- expect-keys: ["customer_id"]
-- expect-source-keys: {"orders": ["customer_id"], "customers": ["id"]}
