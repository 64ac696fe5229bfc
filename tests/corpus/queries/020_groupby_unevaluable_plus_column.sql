SELECT ROUND(price), symbol, COUNT(*) FROM trades GROUP BY ROUND(price), symbol

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
-- expect-reason: ROUND(price) is left out
