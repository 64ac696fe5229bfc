SELECT * FROM trades LIMIT 100

-- expect-strategy: fan_in
-- expect-keys: []
