SELECT t.symbol, t.venue, COUNT(*) FROM trades AS t GROUP BY t.symbol, t.venue

-- expect-strategy: always_hash
-- expect-keys: ["symbol", "venue"]
