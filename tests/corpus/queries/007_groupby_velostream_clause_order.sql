SELECT trader_id, symbol, COUNT(*) AS n
FROM market_data
WHERE price > 0
GROUP BY trader_id, symbol
HAVING COUNT(*) > 5
WINDOW TUMBLING(market_data.ts, INTERVAL '1' MINUTE)

-- expect-strategy: always_hash
-- expect-keys: ["trader_id", "symbol"]
