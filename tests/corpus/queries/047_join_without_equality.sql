SELECT * FROM a JOIN b ON a.ts BETWEEN b.start_ts AND b.end_ts

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-reason: no equality
