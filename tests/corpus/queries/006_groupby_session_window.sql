SELECT user_id, COUNT(*) AS clicks FROM clicks GROUP BY user_id WINDOW SESSION(30s)

-- expect-strategy: always_hash
-- expect-keys: ["user_id"]
