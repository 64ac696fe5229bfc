CREATE STREAM totals AS SELECT COUNT(*) AS n, MAX(price) FROM trades EMIT CHANGES

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-kind: create_stream
