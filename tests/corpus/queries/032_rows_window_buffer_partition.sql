SELECT symbol, AVG(price) OVER (ROWS WINDOW BUFFER 100 ROWS PARTITION BY symbol ORDER BY _timestamp) FROM market_data

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
