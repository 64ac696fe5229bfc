SELECT CASE WHEN price > 100 THEN 'high' ELSE 'low' END AS band, COUNT(*) FROM trades
GROUP BY CASE WHEN price > 100 THEN 'high' ELSE 'low' END

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-reason: CASE is not an operation
