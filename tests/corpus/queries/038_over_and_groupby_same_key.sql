SELECT symbol, COUNT(*), RANK() OVER (PARTITION BY symbol ORDER BY COUNT(*)) FROM trades GROUP BY symbol

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
