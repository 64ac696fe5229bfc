SELECT AVG(price) FROM trades WINDOW TUMBLING(1m) EMIT CHANGES

-- expect-strategy: fan_in
-- expect-keys: []
