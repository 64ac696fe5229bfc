SELECT COUNT(*) FROM trades

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-reason: global aggregate
