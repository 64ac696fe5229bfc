SELECT x.symbol, COUNT(*) FROM trades t GROUP BY x.symbol

-- expect-error: line 1:8: 'x' is not an input of the query (it reads trades AS t)
