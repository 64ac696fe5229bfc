-- @job_mode: adaptive
-- @batch_size: 10000
-- @num_partitions: 6
-- @partitioning_strategy: hash

CREATE STREAM results AS
SELECT station, MIN(temperature) AS min_temp, MAX(temperature) AS max_temp
FROM measurements
GROUP BY station
EMIT FINAL
WITH ('measurements.type' = 'file_source', 'results.type' = 'file_sink');

-- expect-strategy: always_hash
-- expect-keys: ["station"]
-- expect-kind: create_stream
-- expect-origin: annotation
-- expect-partitions: 6
