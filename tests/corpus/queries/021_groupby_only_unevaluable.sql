SELECT ROUND(price), COUNT(*) FROM trades GROUP BY ROUND(price)

-- expect-strategy: fan_in
-- expect-keys: []
-- expect-reason: ROUND is not an operation of the router's key evaluator
