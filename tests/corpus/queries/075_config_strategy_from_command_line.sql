SELECT symbol, COUNT(*) FROM trades GROUP BY symbol

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-origin: config
-- args: --strategy fanin
