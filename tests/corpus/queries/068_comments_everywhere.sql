/* header */ SELECT a, -- the a column
 b /* inline */ FROM t -- trailing

-- expect-strategy: round_robin
-- expect-keys: []
