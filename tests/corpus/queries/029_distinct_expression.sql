SELECT DISTINCT UPPER(symbol) FROM orders

-- expect-strategy: always_hash
-- expect-keys: ["UPPER(symbol)"]
