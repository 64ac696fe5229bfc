SELECT UPPER(symbol), COUNT(*) FROM trades GROUP BY UPPER(symbol)

-- expect-strategy: always_hash
-- expect-keys: ["UPPER(symbol)"]
