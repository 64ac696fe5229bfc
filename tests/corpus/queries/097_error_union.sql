SELECT a FROM t UNION SELECT a FROM u

-- expect-error: line 1:17: expected end of query (UNION, INTERSECT and EXCEPT are not supported), found 'UNION'
