SELECT * FROM quotes q JOIN trades t ON q.symbol = t.symbol AND q.venue = t.venue

-- expect-strategy: always_hash
-- expect-keys: ["symbol", "venue"]
-- expect-source-keys: {"quotes": ["symbol", "venue"], "trades": ["symbol", "venue"]}
