SELECT SUM(qty), AVG(price) FROM trades WHERE venue = 'X'

-- expect-strategy: fan_in
-- expect-keys: []
