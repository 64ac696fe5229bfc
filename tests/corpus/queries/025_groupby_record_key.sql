SELECT _key, COUNT(*) FROM trades GROUP BY _key

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-reason: record metadata
