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

/// Values `op` takes off the evaluation stack (it always pushes one), or -1
/// when the instruction is malformed (SUBSTRING with other than 2 or 3
/// arguments, an unknown op). The one definition the planner's check and the
/// dataplane's compiler share.
[[nodiscard]] constexpr int key_op_pops(key_op op, std::int64_t imm) noexcept {
    switch (op) {
    case key_op::field:
    case key_op::push_int:
    case key_op::push_string:
    case key_op::push_null: return 0;
    case key_op::upper:
    case key_op::lower:
    case key_op::trim:
    case key_op::cast_int:
    case key_op::cast_string:
    case key_op::cast_double:
    case key_op::neg: return 1;
    case key_op::substring: return imm == 2 || imm == 3 ? static_cast<int>(imm) : -1;
    case key_op::add:
    case key_op::sub:
    case key_op::mul:
    case key_op::div:
    case key_op::mod:
    case key_op::concat: return 2;
    }
    return -1;
}

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
