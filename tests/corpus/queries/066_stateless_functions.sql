SELECT UPPER(symbol), CAST(price AS DOUBLE), CASE WHEN qty > 10 THEN 'big' END, _partition, _offset
FROM trades WHERE price BETWEEN 1 AND 5

-- expect-strategy: round_robin
-- expect-keys: []
