SELECT * FROM a JOIN b ON a.k = b.k JOIN c ON b.k = c.k

-- expect-strategy: always_hash
-- expect-keys: ["k"]
-- expect-source-keys: {"a": ["k"], "b": ["k"], "c": ["k"]}
