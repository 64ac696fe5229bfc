SELECT symbol, price, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY price DESC) AS rn FROM trades

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
