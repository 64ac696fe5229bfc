CREATE STREAM enriched AS
SELECT t.*, r.rating FROM trades t JOIN ratings r ON t.trader_id = r.trader_id
EMIT CHANGES

-- expect-strategy: always_hash
-- expect-keys: ["trader_id"]
-- expect-source-keys: {"trades": ["trader_id"], "ratings": ["trader_id"]}
-- expect-kind: create_stream
