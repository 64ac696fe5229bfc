SELECT SUM(a) OVER w FROM t

-- expect-error: line 1:20: expected '(' after OVER (named windows are not supported), found 'w'
