-- @partitioning_strategy: always_hash
SELECT * FROM trades

-- expect-error: needs routing keys, but the query is stateless
