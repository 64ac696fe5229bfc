SELECT a /* no end
FROM t

-- expect-error: line 1:10: expected
-- expect-error: to close the comment opened here, found end of input
