#include "control/sql/ast.hpp"

#include <array>

namespace shardgate::sql {

expr::expr() = default;
expr::~expr() = default;
expr::expr(expr&&) noexcept = default;
expr& expr::operator=(expr&&) noexcept = default;

std::string_view to_string(binary_op op) noexcept {
    switch (op) {
    case binary_op::add:
        return "+";
    case binary_op::sub:
        return "-";
    case binary_op::mul:
        return "*";
    case binary_op::div:
        return "/";
    case binary_op::mod:
        return "%";
    case binary_op::concat:
        return "||";
    case binary_op::eq:
        return "=";
    case binary_op::ne:
        return "<>";
    case binary_op::lt:
        return "<";
    case binary_op::le:
        return "<=";
    case binary_op::gt:
        return ">";
    case binary_op::ge:
        return ">=";
    case binary_op::and_:
        return "AND";
    case binary_op::or_:
        return "OR";
    }
    return "?";
}

namespace {
constexpr std::array<std::pair<std::string_view, system_column>, 8> system_columns{{
    {"_partition", system_column::partition},
    {"_offset", system_column::offset},
    {"_timestamp", system_column::timestamp},
    {"_event_time", system_column::event_time},
    {"_window_start", system_column::window_start},
    {"_window_end", system_column::window_end},
    {"_key", system_column::key},
    {"_topic", system_column::topic},
}};
} // namespace

system_column find_system_column(std::string_view name) noexcept {
    for (const auto& [n, c] : system_columns)
        if (iequals(n, name)) return c;
    return system_column::none;
}

std::string_view to_string(system_column c) noexcept {
    for (const auto& [n, s] : system_columns)
        if (s == c) return n;
    return "";
}

std::string statement::text_of(const expr& e) const {
    if (e.begin >= e.end || e.end > source.size()) return {};
    const std::string_view slice = std::string_view(source).substr(e.begin, e.end - e.begin);
    // Re-lexing the slice gives the same tokens (an expression never starts
    // or ends inside a token); the gaps between them become single spaces.
    lexed l = lex(slice);
    std::string out;
    out.reserve(slice.size());
    std::uint32_t prev_end = 0;
    for (const token& t : l.tokens) {
        if (t.kind == token_kind::end) break;
        if (!out.empty() && t.offset > prev_end) out += ' ';
        out += t.text;
        prev_end = t.offset + static_cast<std::uint32_t>(t.text.size());
    }
    return out;
}

} // namespace shardgate::sql
