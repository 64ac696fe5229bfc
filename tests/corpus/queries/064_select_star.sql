SELECT * FROM orders

-- expect-strategy: round_robin
-- expect-keys: []
