SELECT AVG(price) OVER (PARTITION BY symbol, venue ORDER BY ts),
       MAX(price) OVER (PARTITION BY symbol ORDER BY ts)
FROM trades

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
