-- @partitioning_strategy: auto
SELECT symbol, COUNT(*) FROM trades GROUP BY symbol

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
-- expect-origin: automatic
-- args: --strategy round_robin
