SELECT a FROM t;
SELECT b FROM u;

-- expect-error: line 2:1: expected end of input (one statement per query), found 'SELECT'
