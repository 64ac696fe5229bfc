-- @partitioning_strategy: RR
SELECT * FROM trades

-- expect-strategy: round_robin
-- expect-keys: []
-- expect-origin: annotation
