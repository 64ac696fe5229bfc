-- @num_partitions: eight
SELECT * FROM trades

-- expect-error: line 1:21: annotation @num_partitions: expected a partition count in [1, 65535], found 'eight'
