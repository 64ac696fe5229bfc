SELECT COUNT(*) FROM trades GROUP BY venue || ':' || symbol

-- expect-strategy: always_hash
-- expect-keys: ["venue || ':' || symbol"]
