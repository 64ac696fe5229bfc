CREATE STREAM per_venue AS
SELECT venue, MAX(price) FROM trades
EMIT CHANGES
WINDOW TUMBLING(5m)
HAVING MAX(price) > 10
GROUP BY venue
WITH ('kafka.topic' = 'per_venue', 'value.format' = 'json');

-- expect-strategy: always_hash
-- expect-keys: ["venue"]
-- expect-kind: create_stream
