SELECT COUNT(*) FROM trades GROUP BY 'everything'

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-reason: it is a constant
