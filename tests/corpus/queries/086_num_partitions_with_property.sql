SELECT symbol, COUNT(*) FROM trades GROUP BY symbol WITH ('num_partitions' = '16')

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
-- expect-partitions: 16
