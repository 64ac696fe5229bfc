-- @num_partitions: 2
SELECT * FROM trades WITH ('num_partitions' = '16')

-- expect-strategy: round_robin
-- expect-keys: []
-- expect-partitions: 2
