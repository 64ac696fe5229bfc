SELECT a, COUNT(*) FROM t GROUP BY 5

-- expect-error: line 1:36: GROUP BY position 5 is out of range: the select list has 2 item(s)
