CREATE TABLE latest AS SELECT id PRIMARY KEY, price FROM quotes

-- expect-strategy: always_hash
-- expect-keys: ["id"]
-- expect-kind: create_table
-- expect-reason: PRIMARY KEY id
