SELECT _partition, COUNT(*) FROM trades GROUP BY _partition

-- expect-strategy: sticky_partition
-- expect-keys: []
