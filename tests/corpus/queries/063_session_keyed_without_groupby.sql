SELECT COUNT(*) FROM clicks WINDOW SESSION(event_time, INTERVAL '30' SECONDS, user_id)

-- expect-strategy: always_hash
-- expect-keys: ["user_id"]
