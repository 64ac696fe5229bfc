-- @partitioning_strategy: consistent_hash
SELECT * FROM trades

-- expect-error: line 1:28: annotation @partitioning_strategy: unknown partitioning strategy 'consistent_hash'; expected one of: always_hash (hash, alwayshash)
