#pragma once
/// Query expressions → routing key programs (shardgate/key_expr.hpp). Only
/// the operations the dataplane's key evaluator implements are used; an
/// expression that needs anything else is not a routing key, and says why.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control/sql/ast.hpp"
#include "shardgate/key_expr.hpp"

namespace shardgate::control {

/// A record field an expression reads, and which source (input of a JOIN)
/// it belongs to: 0 for the FROM source, 1.. for joined ones, -1 unknown.
struct column_ref {
    int source = -1;
    std::string field;
    friend bool operator==(const column_ref&, const column_ref&) = default;
};

/// An expression considered as a routing key.
struct key_term {
    std::optional<key_expr> key;     ///< the key, when the evaluator can compute it
    std::string why_not;             ///< why not, when it cannot
    std::vector<column_ref> columns; ///< record fields read (system columns excluded)
    /// The one source every column comes from; -1 when columns come from
    /// several or an unknown source; -2 when there are none (a constant).
    int source = -2;
    /// The expression is exactly this system column (_partition, ...).
    sql::system_column bare_system = sql::system_column::none;
};

/// Maps a column expression to its source index (see column_ref).
using source_resolver = std::function<int(const sql::expr& column)>;

/// Translates `e` (an expression of `st`). A plain column becomes one
/// `field` instruction and its text is the bare column name (qualifier
/// dropped: records carry unqualified field names); anything else keeps the
/// expression text as written. Evaluable: columns, integer/string/NULL
/// literals, UPPER/UCASE, LOWER/LCASE, TRIM, SUBSTRING/SUBSTR (2 or 3
/// arguments), CAST to BIGINT/INT/INTEGER/LONG/INT64, VARCHAR/STRING/TEXT
/// (no length), DOUBLE/FLOAT64, integer + - * / % and unary minus, and ||.
/// Control plane only; O(size of e).
[[nodiscard]] key_term translate_key(const sql::statement& st, const sql::expr& e,
                                     const source_resolver& source_of);

/// True when `k.program` is a well-formed postfix program: every
/// instruction finds its operands, `substring` has imm 2 or 3, `field` and
/// names are non-empty, and exactly one value is left.
[[nodiscard]] bool well_formed(const key_expr& k) noexcept;

/// A byte string identifying the program (equal programs, equal strings).
[[nodiscard]] std::string program_signature(const key_expr& k);

/// "field symbol", "push_int 3", "upper", ... for explain's JSON.
[[nodiscard]] std::string_view to_string(key_op op) noexcept;

} // namespace shardgate::control
