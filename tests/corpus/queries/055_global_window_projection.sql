SELECT symbol, price FROM trades WINDOW SLIDING(1h, 5m)

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-reason: global window
