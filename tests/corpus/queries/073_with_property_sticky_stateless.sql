SELECT * FROM trades WITH ('partitioning_strategy' = 'sticky')

-- expect-strategy: sticky_partition
-- expect-keys: []
-- expect-origin: with_property
-- expect-no-warnings: yes
