SELECT trader_id % 16 AS bucket, COUNT(*) FROM trades GROUP BY trader_id % 16

-- expect-strategy: always_hash
-- expect-keys: ["trader_id % 16"]
