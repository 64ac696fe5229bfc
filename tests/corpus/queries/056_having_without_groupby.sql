SELECT symbol FROM trades HAVING symbol > 'M'

-- expect-strategy: fan_in
-- expect-keys: []
