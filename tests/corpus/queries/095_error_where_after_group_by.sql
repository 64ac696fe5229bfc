SELECT a FROM t GROUP BY a WHERE b > 1

-- expect-error: line 1:28: expected WHERE before GROUP BY, WINDOW, HAVING, ORDER BY, LIMIT and EMIT, found 'WHERE'
