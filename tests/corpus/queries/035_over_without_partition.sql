SELECT price, LAG(price) OVER (ORDER BY _timestamp) FROM trades

-- expect-strategy: fan_in
-- expect-keys: []
