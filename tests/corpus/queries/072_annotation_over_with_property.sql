-- @partitioning_strategy: fan_in
SELECT symbol, COUNT(*) FROM trades GROUP BY symbol WITH ('partitioning_strategy' = 'hash')

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-origin: annotation
-- expect-reason: It overrides WITH 'partitioning_strategy'
