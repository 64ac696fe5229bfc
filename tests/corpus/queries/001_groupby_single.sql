SELECT symbol, COUNT(1) AS c FROM market_data GROUP BY symbol

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
-- expect-kind: select
-- expect-origin: automatic
-- expect-no-warnings: yes
