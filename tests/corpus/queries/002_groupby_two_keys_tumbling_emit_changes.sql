SELECT trader_id, symbol, COUNT(1)
FROM market_data
GROUP BY trader_id, symbol
WINDOW TUMBLING(trade_time, INTERVAL '60' SECOND)
EMIT CHANGES

-- expect-strategy: always_hash
-- expect-keys: ["trader_id", "symbol"]
