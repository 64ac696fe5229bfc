SELECT COUNT(DISTINCT symbol) FROM trades

-- expect-strategy: fan_in
-- expect-keys: []
