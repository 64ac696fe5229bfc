-- @partitioning_strategy hash
SELECT * FROM t

-- expect-error: line 1:27: expected ':' after annotation name '@partitioning_strategy', found 'hash'
