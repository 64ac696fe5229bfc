-- @partitioning_strategy: FanIn
SELECT * FROM trades

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-origin: annotation
