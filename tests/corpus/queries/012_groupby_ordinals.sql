SELECT region, product, SUM(qty) FROM sales GROUP BY 1, 2

-- expect-strategy: always_hash
-- expect-keys: ["region", "product"]
