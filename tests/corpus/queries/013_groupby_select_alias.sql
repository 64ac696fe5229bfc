SELECT UPPER(symbol) AS sym, COUNT(*) FROM trades GROUP BY sym

-- expect-strategy: always_hash
-- expect-keys: ["UPPER(symbol)"]
-- expect-reason: sym in GROUP BY is the select alias of UPPER(symbol)
