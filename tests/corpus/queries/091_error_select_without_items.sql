SELECT FROM orders

-- expect-error: line 1:8: expected an expression or '*', found 'FROM'
