-- @num_partitions: 4
SELECT symbol, COUNT(*) FROM trades GROUP BY symbol

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
-- expect-partitions: 4
