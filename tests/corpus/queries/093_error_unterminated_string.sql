SELECT a FROM t
WHERE name = 'bob

-- expect-error: line 2:14: expected a closing
-- expect-error: for this string, found end of input
