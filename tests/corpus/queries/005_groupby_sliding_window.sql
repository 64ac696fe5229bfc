SELECT symbol, AVG(price) FROM trades GROUP BY symbol
WINDOW SLIDING(INTERVAL '10' MINUTES, INTERVAL '1' MINUTE) EMIT CHANGES

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
