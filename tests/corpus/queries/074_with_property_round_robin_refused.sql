CREATE STREAM s AS SELECT DISTINCT symbol FROM trades WITH ('partitioning_strategy' = 'rr')

-- expect-error: line 1:87: partitioning strategy round_robin (WITH 'partitioning_strategy' at line 1:87) is refused
