CREATE TABLE balances AS
SELECT account_id, SUM(amount) AS balance
FROM transfers
GROUP BY account_id
EMIT FINAL;

-- expect-strategy: always_hash
-- expect-keys: ["account_id"]
-- expect-kind: create_table
