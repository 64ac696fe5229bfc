SELECT * FROM orders o JOIN products p ON UPPER(o.sku) = p.sku

-- expect-strategy: always_hash
-- expect-keys: ["UPPER(o.sku)"]
-- expect-source-keys: {"orders": ["UPPER(o.sku)"], "products": ["sku"]}
