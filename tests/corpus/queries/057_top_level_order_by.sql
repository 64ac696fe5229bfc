SELECT * FROM trades ORDER BY price DESC

-- expect-strategy: fan_in
-- expect-keys: []
