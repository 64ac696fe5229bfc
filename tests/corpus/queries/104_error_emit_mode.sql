SELECT a FROM t EMIT NOW

-- expect-error: line 1:22: expected CHANGES or FINAL after EMIT, found 'NOW'
