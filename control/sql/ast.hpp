#pragma once
/// The streaming SQL abstract syntax tree (docs/sql.md describes the
/// dialect). Built by parser.hpp; read by the planner. Owns its strings; a
/// statement also keeps its source text so expressions can be shown as
/// written.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/sql/lexer.hpp"
#include "control/sql/parse_error.hpp"

namespace shardgate::sql {

struct expr;
struct over_clause;
using expr_ptr = std::unique_ptr<expr>;

enum class expr_kind : std::uint8_t {
    integer,   ///< `number` holds the value
    decimal,   ///< `text` holds the digits
    string,    ///< `text` holds the unescaped value
    boolean,   ///< `number` is 0 or 1
    null,      ///< NULL
    interval,  ///< INTERVAL '5' MINUTE or 5m; `number` in milliseconds
    column,    ///< [qualifier.]name; `system` for _partition, _timestamp, ...
    star,      ///< * or qualifier.* (select list, COUNT(*))
    call,      ///< name(args) [OVER (...)]; `distinct` for f(DISTINCT x)
    case_when, ///< CASE [operand] WHEN a THEN b ... [ELSE e] END
    cast,      ///< CAST(arg AS type); `text` is the type as written, upper case
    unary,     ///< -x, +x, NOT x
    binary,    ///< arithmetic, ||, comparisons, AND, OR
    in_list,   ///< args[0] [NOT] IN (args[1..])
    between,   ///< args[0] [NOT] BETWEEN args[1] AND args[2]
    like,      ///< args[0] [NOT] LIKE args[1] [ESCAPE args[2]]
    is_null,   ///< args[0] IS [NOT] NULL
    is_truth,  ///< args[0] IS [NOT] TRUE|FALSE; `number` is 1 for TRUE
};

enum class unary_op : std::uint8_t { neg, plus, not_ };
enum class binary_op : std::uint8_t { add, sub, mul, div, mod, concat, eq, ne, lt, le, gt, ge, and_, or_ };

[[nodiscard]] std::string_view to_string(binary_op op) noexcept;

/// The system columns every record has (case-insensitive names).
enum class system_column : std::uint8_t {
    none,
    partition,
    offset,
    timestamp,
    event_time,
    window_start,
    window_end,
    key,
    topic
};

/// The system column `name` spells (ASCII case-insensitive), or none.
[[nodiscard]] system_column find_system_column(std::string_view name) noexcept;
[[nodiscard]] std::string_view to_string(system_column c) noexcept; ///< "_partition", ...

struct expr {
    expr_kind kind = expr_kind::null;
    position pos;            ///< first token
    std::uint32_t begin = 0; ///< byte range [begin, end) of the expression in the source
    std::uint32_t end = 0;
    std::uint32_t height = 1; ///< 1 + the tallest child; bounded by the parser
    std::string text;         ///< see expr_kind
    std::string qualifier;    ///< column and star: the part before the dot
    std::int64_t number = 0;  ///< see expr_kind
    system_column system = system_column::none;
    bool quoted = false;      ///< column: the name was a quoted identifier
    bool negated = false;     ///< NOT IN, NOT BETWEEN, NOT LIKE, IS NOT NULL
    bool distinct = false;    ///< call: f(DISTINCT ...)
    bool has_operand = false; ///< case_when: CASE x WHEN ...; args[0] is x
    bool has_else = false;    ///< case_when: the last arg is the ELSE value
    unary_op uop = unary_op::neg;
    binary_op bop = binary_op::add;
    std::vector<expr_ptr> args;        ///< children (call arguments, operands, ...)
    std::unique_ptr<over_clause> over; ///< call: window function

    expr();
    ~expr();
    expr(expr&&) noexcept;
    expr& operator=(expr&&) noexcept;
};

enum class emit_mode : std::uint8_t { none, changes, final };

struct order_item {
    expr_ptr value;
    bool descending = false;
};

enum class frame_bound_kind : std::uint8_t {
    unbounded_preceding,
    preceding,
    current_row,
    following,
    unbounded_following
};

struct frame_bound {
    frame_bound_kind kind = frame_bound_kind::current_row;
    std::uint64_t amount = 0; ///< rows, or milliseconds for an INTERVAL bound
};

struct window_frame {
    bool range = false; ///< RANGE instead of ROWS
    frame_bound start;
    frame_bound end;
};

/// OVER ( [ROWS WINDOW BUFFER n ROWS] [PARTITION BY ...] [ORDER BY ...]
///        [ROWS|RANGE BETWEEN ... AND ...] [EMIT CHANGES|FINAL] )
struct over_clause {
    position pos;
    std::optional<std::uint64_t> buffer_rows;
    std::vector<expr_ptr> partition_by;
    std::vector<order_item> order_by;
    std::optional<window_frame> frame;
    emit_mode emit = emit_mode::none;
};

enum class window_kind : std::uint8_t { tumbling, sliding, session };

/// WINDOW TUMBLING(...) | SLIDING(...) | SESSION(...)
struct window_clause {
    position pos;
    window_kind kind = window_kind::tumbling;
    expr_ptr time_column;               ///< optional
    std::uint64_t size_ms = 0;          ///< tumbling and sliding size, session gap
    std::uint64_t advance_ms = 0;       ///< sliding only
    std::vector<expr_ptr> session_keys; ///< SESSION(time_col, gap, key...)
};

struct select_item {
    expr_ptr value;           ///< a star expression for * and q.*
    std::string alias;        ///< empty when none
    bool primary_key = false; ///< `expr [AS alias] PRIMARY KEY`
};

struct table_ref {
    position pos;
    std::string name;  ///< as written; dotted names kept whole (db.orders)
    std::string alias; ///< empty when none
};

enum class join_kind : std::uint8_t { inner, left, right, full };

struct join_clause {
    position pos;
    join_kind kind = join_kind::inner;
    table_ref table;
    expr_ptr on;
    std::optional<std::uint64_t> within_ms;
};

struct select_stmt {
    position pos;
    bool distinct = false;
    std::vector<select_item> items;
    table_ref from;
    std::vector<join_clause> joins;
    expr_ptr where;
    position group_by_pos;
    std::vector<expr_ptr> group_by;
    std::optional<window_clause> window;
    expr_ptr having;
    position order_by_pos;
    std::vector<order_item> order_by;
    position limit_pos;
    std::optional<std::uint64_t> limit;
    emit_mode emit = emit_mode::none;
};

enum class statement_kind : std::uint8_t { select, create_stream, create_table };

struct column_def {
    position pos;
    std::string name;
    std::string type; ///< as written, upper case; empty when only a name is given
};

/// WITH ('key' = 'value', ...)
struct property {
    position pos; ///< of the key
    std::string key;
    std::string value;
    position value_pos;
};

struct statement {
    statement_kind kind = statement_kind::select;
    std::string name;                ///< CREATE STREAM|TABLE name
    std::vector<column_def> columns; ///< CREATE ... (cols)
    select_stmt select;
    std::vector<property> with;
    std::vector<annotation> annotations;
    std::string source; ///< the query text the byte ranges refer to

    /// The expression as written in the query, comments dropped and every
    /// run of blanks, newlines and comments between tokens shown as one
    /// space. O(length of the expression).
    [[nodiscard]] std::string text_of(const expr& e) const;
};

} // namespace shardgate::sql
