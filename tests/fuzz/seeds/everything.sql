-- @partitioning_strategy: auto
-- @num_partitions: 4
CREATE OR REPLACE STREAM s (a VARCHAR KEY, b BIGINT) AS
SELECT DISTINCT o.a AS x PRIMARY KEY, UPPER(TRIM(o.b)) || '-' || CAST(c.d AS VARCHAR), COUNT(DISTINCT e),
  LAG(f, 1) OVER (ROWS WINDOW BUFFER 10 ROWS PARTITION BY o.a ORDER BY _timestamp DESC NULLS LAST
                  ROWS BETWEEN 5 PRECEDING AND CURRENT ROW EMIT CHANGES),
  CASE o.g WHEN 1 THEN 'one' ELSE NULL END, -h % 7, SUBSTRING(i FROM 2 FOR 3), EXTRACT(HOUR FROM j)
FROM orders o LEFT OUTER JOIN customers c ON o.a = c.a AND UPPER(o.k) = c.k WITHIN INTERVAL '5' MINUTES
WHERE o.l NOT IN (1, 2) AND o.m NOT BETWEEN 1 AND 2 AND o.n NOT LIKE 'x%' ESCAPE '!' AND o.p IS NOT NULL
GROUP BY o.a, 2, _window_start
WINDOW SESSION(o.ts, INTERVAL '30' SECONDS, o.a)
HAVING COUNT(*) > 1
EMIT FINAL
WITH ('num_partitions' = '8', kafka.topic = 'out', 'partitioning_strategy' = 'hash');
