SELECT * FROM orders o LEFT OUTER JOIN shipments s ON o.id = s.order_id

-- expect-strategy: always_hash
-- expect-keys: ["id"]
-- expect-source-keys: {"orders": ["id"], "shipments": ["order_id"]}
