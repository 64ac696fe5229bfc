CREATE STREAM agg AS SELECT symbol, COUNT(*) FROM trades GROUP BY symbol EMIT CHANGES

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
-- expect-kind: create_stream
