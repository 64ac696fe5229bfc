SELECT * FROM (SELECT a FROM t) x

-- expect-error: line 1:15: expected a stream or table name (subqueries are not supported), found '('
