#include "control/plan/key_translate.hpp"

#include <string_view>

namespace shardgate::control {
namespace {

using sql::expr;
using sql::expr_kind;

struct translator {
    const sql::statement& st;
    const source_resolver& source_of;
    key_term& out;
    std::vector<key_instr> program;
    bool ok = true;

    void refuse(std::string why) {
        if (ok) out.why_not = std::move(why);
        ok = false;
    }

    void emit(key_op op, std::int64_t imm = 0, std::string text = {}) {
        program.push_back({op, imm, std::move(text)});
    }

    void column(const expr& e) {
        if (e.system != sql::system_column::none) {
            switch (e.system) {
            case sql::system_column::partition:
                refuse("it is the record's source partition, not a field a key can read");
                break;
            case sql::system_column::window_start:
            case sql::system_column::window_end:
                refuse("it is a window-time key that exists only after windowing, not a record field");
                break;
            default:
                refuse("it is record metadata, not a record field the router reads");
                break;
            }
            return;
        }
        const int src = source_of(e);
        out.columns.push_back({src, e.text});
        if (out.source == -2)
            out.source = src;
        else if (out.source != src)
            out.source = -1;
        emit(key_op::field, 0, e.text);
    }

    static bool named(const expr& e, std::string_view a, std::string_view b = {}) {
        return e.text == a || (!b.empty() && e.text == b);
    }

    void call(const expr& e) {
        if (e.over) return refuse(e.text + "(...) OVER (...) is a window function, not a per-record value");
        if (e.distinct) return refuse(e.text + "(DISTINCT ...) is an aggregate, not a per-record value");
        const std::size_t n = e.args.size();
        auto arity = [&](std::size_t lo, std::size_t hi) {
            if (n < lo || n > hi) {
                refuse(e.text + " with " + std::to_string(n) +
                       " arguments is not a function the key evaluator has");
                return false;
            }
            return true;
        };
        for (const auto& a : e.args)
            if (a->kind == expr_kind::star)
                return refuse(e.text + "(*) is an aggregate, not a per-record value");
        if (named(e, "UPPER", "UCASE")) {
            if (!arity(1, 1)) return;
            walk(*e.args[0]);
            emit(key_op::upper);
        } else if (named(e, "LOWER", "LCASE")) {
            if (!arity(1, 1)) return;
            walk(*e.args[0]);
            emit(key_op::lower);
        } else if (named(e, "TRIM")) {
            if (!arity(1, 1)) return;
            walk(*e.args[0]);
            emit(key_op::trim);
        } else if (named(e, "SUBSTRING", "SUBSTR")) {
            if (!arity(2, 3)) return;
            for (const auto& a : e.args) walk(*a);
            emit(key_op::substring, static_cast<std::int64_t>(n));
        } else {
            refuse(e.text +
                   " is not an operation of the router's key evaluator, which has UPPER, LOWER, TRIM, "
                   "SUBSTRING, CAST, integer arithmetic and ||");
        }
    }

    void cast(const expr& e) {
        const std::string& t = e.text;
        key_op op{};
        if (t == "BIGINT" || t == "INT" || t == "INTEGER" || t == "LONG" || t == "INT64")
            op = key_op::cast_int;
        else if (t == "VARCHAR" || t == "STRING" || t == "TEXT")
            op = key_op::cast_string;
        else if (t == "DOUBLE" || t == "FLOAT64")
            op = key_op::cast_double;
        else
            return refuse("CAST to " + t + " is not a conversion the router's key evaluator has");
        walk(*e.args[0]);
        emit(op);
    }

    void walk(const expr& e) {
        if (!ok) return;
        switch (e.kind) {
        case expr_kind::column:
            column(e);
            return;
        case expr_kind::integer:
            emit(key_op::push_int, e.number);
            return;
        case expr_kind::string:
            emit(key_op::push_string, 0, e.text);
            return;
        case expr_kind::null:
            emit(key_op::push_null);
            return;
        case expr_kind::call:
            call(e);
            return;
        case expr_kind::cast:
            cast(e);
            return;
        case expr_kind::unary:
            if (e.uop == sql::unary_op::not_) return refuse("NOT is a condition, not a key");
            walk(*e.args[0]);
            if (e.uop == sql::unary_op::neg) emit(key_op::neg);
            return;
        case expr_kind::binary: {
            key_op op{};
            switch (e.bop) {
            case sql::binary_op::add:
                op = key_op::add;
                break;
            case sql::binary_op::sub:
                op = key_op::sub;
                break;
            case sql::binary_op::mul:
                op = key_op::mul;
                break;
            case sql::binary_op::div:
                op = key_op::div;
                break;
            case sql::binary_op::mod:
                op = key_op::mod;
                break;
            case sql::binary_op::concat:
                op = key_op::concat;
                break;
            default:
                return refuse(std::string("the comparison or condition '") +
                              std::string(sql::to_string(e.bop)) +
                              "' is not a key the router's evaluator computes");
            }
            walk(*e.args[0]);
            walk(*e.args[1]);
            emit(op);
            return;
        }
        case expr_kind::decimal:
            return refuse("the decimal literal " + e.text + " has no key-evaluator operation");
        case expr_kind::boolean:
            return refuse("a boolean literal has no key-evaluator operation");
        case expr_kind::interval:
            return refuse("an interval has no key-evaluator operation");
        case expr_kind::star:
            return refuse("'*' is not a key");
        case expr_kind::case_when:
            return refuse("CASE is not an operation the router's key evaluator has");
        case expr_kind::in_list:
        case expr_kind::between:
        case expr_kind::like:
        case expr_kind::is_null:
        case expr_kind::is_truth:
            return refuse("a condition is not a key the router's evaluator computes");
        }
    }
};

} // namespace

key_term translate_key(const sql::statement& st, const sql::expr& e, const source_resolver& source_of) {
    key_term out;
    if (e.kind == expr_kind::column) out.bare_system = e.system;
    translator t{st, source_of, out, {}, true};
    t.walk(e);
    if (!t.ok) {
        out.key.reset();
        return out;
    }
    key_expr k;
    k.program = std::move(t.program);
    k.text = k.is_plain_column() ? k.program[0].text : st.text_of(e);
    out.key = std::move(k);
    return out;
}

bool well_formed(const key_expr& k) noexcept {
    std::size_t depth = 0;
    for (const key_instr& i : k.program) {
        if (i.op == key_op::field && i.text.empty()) return false;
        const int pops = key_op_pops(i.op, i.imm);
        if (pops < 0 || depth < static_cast<std::size_t>(pops)) return false;
        depth = depth - static_cast<std::size_t>(pops) + 1;
    }
    return depth == 1;
}

std::string program_signature(const key_expr& k) {
    std::string s;
    for (const key_instr& i : k.program) {
        s += static_cast<char>('A' + static_cast<int>(i.op));
        s += std::to_string(i.imm);
        s += ':';
        s += std::to_string(i.text.size());
        s += ':';
        s += i.text;
    }
    return s;
}

std::string_view to_string(key_op op) noexcept {
    switch (op) {
    case key_op::field:
        return "field";
    case key_op::push_int:
        return "push_int";
    case key_op::push_string:
        return "push_string";
    case key_op::push_null:
        return "push_null";
    case key_op::upper:
        return "upper";
    case key_op::lower:
        return "lower";
    case key_op::trim:
        return "trim";
    case key_op::substring:
        return "substring";
    case key_op::cast_int:
        return "cast_int";
    case key_op::cast_string:
        return "cast_string";
    case key_op::cast_double:
        return "cast_double";
    case key_op::add:
        return "add";
    case key_op::sub:
        return "sub";
    case key_op::mul:
        return "mul";
    case key_op::div:
        return "div";
    case key_op::mod:
        return "mod";
    case key_op::neg:
        return "neg";
    case key_op::concat:
        return "concat";
    }
    return "?";
}

} // namespace shardgate::control
