SELECT LOWER(TRIM(venue)), COUNT(*) FROM trades GROUP BY LOWER(TRIM(venue))

-- expect-strategy: always_hash
-- expect-keys: ["LOWER(TRIM(venue))"]
