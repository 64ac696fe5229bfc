SELECT symbol, COUNT(*) FROM trades GROUP BY symbol WITH ('partitioning_strategy' = 'AlwaysHash')

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
-- expect-origin: with_property
-- args: --strategy round_robin
