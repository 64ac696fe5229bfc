SELECT symbol, _window_start, COUNT(*) FROM trades
GROUP BY symbol, _window_start
WINDOW TUMBLING(1m)

-- expect-strategy: always_hash
-- expect-keys: ["symbol"]
-- expect-reason: _window_start is left out
