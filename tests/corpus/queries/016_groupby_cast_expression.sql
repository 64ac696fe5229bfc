SELECT CAST(trader_id AS VARCHAR), COUNT(*) FROM trades GROUP BY CAST(trader_id AS VARCHAR)

-- expect-strategy: always_hash
-- expect-keys: ["CAST(trader_id AS VARCHAR)"]
