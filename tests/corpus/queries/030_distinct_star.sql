SELECT DISTINCT * FROM orders

-- expect-strategy: fan_in
-- expect-keys: []
