SELECT customer_id, COUNT(*) AS orders
FROM orders o JOIN customers c ON o.customer_id = c.customer_id
GROUP BY customer_id
EMIT CHANGES

-- expect-strategy: always_hash
-- expect-keys: ["customer_id"]
-- expect-source-keys: {"orders": ["customer_id"], "customers": ["customer_id"]}
