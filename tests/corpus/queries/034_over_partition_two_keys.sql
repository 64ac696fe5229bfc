SELECT LAG(price, 1) OVER (PARTITION BY trader_id, symbol ORDER BY ts) AS prev FROM trades

-- expect-strategy: always_hash
-- expect-keys: ["trader_id", "symbol"]
