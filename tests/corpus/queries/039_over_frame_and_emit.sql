SELECT SUM(qty) OVER (ROWS WINDOW BUFFER 1000 ROWS PARTITION BY trader_id ORDER BY ts
                       ROWS BETWEEN 10 PRECEDING AND CURRENT ROW EMIT CHANGES) FROM trades

-- expect-strategy: always_hash
-- expect-keys: ["trader_id"]
