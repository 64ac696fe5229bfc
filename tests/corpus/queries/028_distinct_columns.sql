SELECT DISTINCT symbol, side FROM orders

-- expect-strategy: always_hash
-- expect-keys: ["symbol", "side"]
