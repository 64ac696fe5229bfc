SELECT COUNT(*) OVER (PARTITION BY UPPER(symbol)) FROM trades

-- expect-strategy: always_hash
-- expect-keys: ["UPPER(symbol)"]
