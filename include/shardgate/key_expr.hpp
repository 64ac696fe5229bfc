#pragma once
/// A routing key expression as the control plane hands it to the dataplane:
/// the text the query wrote (for `explain`) and a small postfix program the
/// dataplane evaluates per record without allocating.

#include <cstdint>
#include <string>
#include <vector>

namespace shardgate {

enum class key_op : std::uint8_t {
    field,       ///< push the record field named `text` (NULL when absent is an error: key missing)
    push_int,    ///< push `imm`
    push_string, ///< push `text`
    push_null,   ///< push NULL
    upper,       ///< pop s, push ASCII upper-case s
    lower,       ///< pop s, push ASCII lower-case s
    trim,        ///< pop s, push s without leading/trailing blanks
    substring,   ///< `imm` = 2 or 3 args: pop [len,] start, s; push SQL SUBSTRING (1-based)
    cast_int,    ///< pop v, push v as BIGINT (string parsed; bad text = bad_value)
    cast_string, ///< pop v, push v as text (integers in decimal)
    cast_double, ///< pop v, push v as DOUBLE
    add, sub, mul, div, mod, ///< pop b, a; push a op b (integers; div/mod by 0 = bad_value)
    neg,         ///< pop a; push -a
    concat,      ///< pop b, a; push a || b
};

struct key_instr {
    key_op op = key_op::push_null;
    std::int64_t imm = 0;
    std::string text;
    friend bool operator==(const key_instr&, const key_instr&) = default;
};

/// One routing key. `program` run on a record leaves exactly one value.
struct key_expr {
    std::string text;              ///< column name for a plain column, else the expression text
    std::vector<key_instr> program; ///< postfix; a plain column is one `field` instruction

    [[nodiscard]] bool is_plain_column() const noexcept {
        return program.size() == 1 && program[0].op == key_op::field;
    }
    friend bool operator==(const key_expr&, const key_expr&) = default;
};

/// A plain-column key.
[[nodiscard]] inline key_expr column_key(std::string name) {
    key_expr k;
    k.text = name;
    k.program.push_back({key_op::field, 0, std::move(name)});
    return k;
}

} // namespace shardgate
