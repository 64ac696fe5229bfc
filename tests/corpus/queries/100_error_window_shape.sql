SELECT COUNT(*) FROM t GROUP BY a WINDOW SLIDING(5m)

-- expect-error: line 1:49: expected SLIDING(size, advance), SLIDING(time_column, size, advance) or SLIDING(size, advance, time_column), found '('
