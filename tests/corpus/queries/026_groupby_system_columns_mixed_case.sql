SELECT symbol, COUNT(*) FROM trades GROUP BY symbol, _Window_Start, _TIMESTAMP

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
