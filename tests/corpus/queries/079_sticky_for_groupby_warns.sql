-- @partitioning_strategy: sticky
SELECT symbol, COUNT(*) FROM trades GROUP BY symbol

-- expect-strategy: sticky_partition
-- expect-keys: []
-- expect-origin: annotation
-- expect-warning: sticky_partition keeps GROUP BY symbol together only if
