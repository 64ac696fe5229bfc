CREATE TABLE per_user AS SELECT user_id, COUNT(*) FROM pageviews
WINDOW HOPPING (SIZE 1 HOUR, ADVANCE BY 5 MINUTES)
GROUP BY user_id EMIT CHANGES;

-- expect-strategy: always_hash
-- expect-keys: ["user_id"]
-- expect-kind: create_table
