SELECT symbol, SUM(qty) AS vol FROM trades GROUP BY symbol ORDER BY vol DESC LIMIT 10

-- expect-strategy: fan_in
-- expect-keys: []
