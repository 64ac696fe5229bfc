SELECT a.symbol FROM trades a JOIN trades b ON a.symbol = b.symbol WITHIN 1m

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
-- expect-source-keys: {"trades": ["symbol"]}
