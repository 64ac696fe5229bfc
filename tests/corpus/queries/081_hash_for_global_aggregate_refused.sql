SELECT COUNT(*) FROM trades WITH ('partitioning_strategy' = 'hash')

-- expect-error: line 1:61: partitioning strategy always_hash (WITH 'partitioning_strategy' at line 1:61) is refused: COUNT(*) without GROUP BY needs every record on one partition
