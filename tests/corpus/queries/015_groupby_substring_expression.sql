SELECT SUBSTRING(symbol, 1, 2) AS prefix, COUNT(*) FROM trades GROUP BY SUBSTRING(symbol, 1, 2)

-- expect-strategy: always_hash
-- expect-keys: ["SUBSTRING(symbol, 1, 2)"]
