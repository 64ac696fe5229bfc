SELECT symbol, COUNT(*) FROM trades GROUP BY symbol

-- expect-error: partitioning strategy round_robin (the configuration's partitioning_strategy) is refused
-- args: --strategy rr
