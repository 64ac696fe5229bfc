SELECT DISTINCT symbol, COUNT(*) FROM trades GROUP BY symbol

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
