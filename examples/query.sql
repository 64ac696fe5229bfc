-- The demo query (`./dev demo`): per-symbol trade statistics over the "trade"
-- records of docs/record-formats.md, in one-minute tumbling windows, emitted
-- as they change. Every trade of a symbol must reach the same worker, so
-- shardgate routes by the hash of symbol (`shardgate explain examples/query.sql`).
CREATE STREAM symbol_stats AS
SELECT symbol,
       COUNT(*)   AS trades,
       MIN(price) AS low,
       MAX(price) AS high,
       AVG(price) AS average_price
FROM trades
GROUP BY symbol
WINDOW TUMBLING(1m)
EMIT CHANGES;
