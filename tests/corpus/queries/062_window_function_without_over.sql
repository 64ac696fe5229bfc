SELECT LAG(price) FROM trades

-- expect-strategy: fan_in
-- expect-keys: []
