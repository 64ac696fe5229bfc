SELECT a, b
WHERE a > 1

-- expect-error: line 2:1: expected ',' or FROM, found 'WHERE'
