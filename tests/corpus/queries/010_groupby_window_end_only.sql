SELECT _window_end, COUNT(*) FROM trades GROUP BY _window_end WINDOW TUMBLING(1m)

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-reason: window-time key
