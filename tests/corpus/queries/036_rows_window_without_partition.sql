SELECT SUM(qty) OVER (ROWS WINDOW BUFFER 50 ROWS) FROM trades

-- expect-strategy: fan_in
-- expect-keys: []
