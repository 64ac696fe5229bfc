CREATE STREAM big_orders AS SELECT * FROM orders WHERE amount > 1000 EMIT CHANGES WITH ('big_orders.topic' = 'big')

-- expect-strategy: round_robin
-- expect-keys: []
-- expect-kind: create_stream
