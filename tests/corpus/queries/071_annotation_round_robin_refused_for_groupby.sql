-- @partitioning_strategy: round_robin
SELECT symbol, COUNT(*) FROM trades GROUP BY symbol

-- expect-error: line 1:28: partitioning strategy round_robin (annotation @partitioning_strategy at line 1:28) is refused: GROUP BY symbol needs records to meet on one partition
