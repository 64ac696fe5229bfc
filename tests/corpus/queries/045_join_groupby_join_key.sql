SELECT o.customer_id, COUNT(*) FROM orders o JOIN customers c ON o.customer_id = c.id GROUP BY o.customer_id

-- expect-strategy: always_hash
-- expect-keys: ["customer_id"]
-- expect-source-keys: {"orders": ["customer_id"], "customers": ["id"]}
