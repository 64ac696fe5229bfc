SELECT symbol, COUNT(DISTINCT trader_id) FROM trades GROUP BY symbol

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
