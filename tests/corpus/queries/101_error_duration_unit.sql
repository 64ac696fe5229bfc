SELECT COUNT(*) FROM t GROUP BY a WINDOW TUMBLING(5w)

-- expect-error: line 1:51: expected a duration unit ms, s, m, h or d after 5, found '5w'
