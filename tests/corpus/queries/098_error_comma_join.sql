SELECT * FROM a, b WHERE a.k = b.k

-- expect-error: line 1:16: expected JOIN ... ON (comma joins are not supported), found ','
