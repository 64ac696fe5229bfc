#pragma once
/// Recursive-descent parser for the streaming SQL dialect (docs/sql.md):
/// one SELECT or CREATE STREAM|TABLE ... AS SELECT statement per input.

#include <cstddef>
#include <string_view>

#include "control/sql/ast.hpp"
#include "control/sql/parse_error.hpp"

namespace shardgate::sql {

/// Deepest nesting of parentheses, function calls, CASE, NOT and unary
/// signs. Bounds the parser's recursion (and so its stack) on hostile input.
inline constexpr unsigned max_nesting = 128;
/// Tallest expression tree (operator chains such as a+b+c+... grow it
/// without nesting). Bounds the recursion of everything that walks the tree.
inline constexpr unsigned max_expression_height = 1000;
/// Most JOIN clauses in one query (the planner's join analysis grows with
/// the square of the inputs).
inline constexpr std::size_t max_joins = 64;

/// Parses `sql` into a statement (which keeps a copy of the text). Throws
/// parse_error ("line L:C: expected X, found 'Y'") on any syntax the dialect
/// does not have: nothing is skipped or ignored. Any thread; linear in the
/// input apart from the bounded nesting.
[[nodiscard]] statement parse(std::string_view sql);

} // namespace shardgate::sql
