#include "control/sql/parse_error.hpp"

namespace shardgate::sql {

std::string quote_for_message(std::string_view text) {
    // Long tokens (a string literal of a kilobyte) would drown the message.
    constexpr std::size_t max_shown = 40;
    std::string out;
    const std::size_t n = text.size() > max_shown ? max_shown : text.size();
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    if (n < text.size()) out += "...";
    return out;
}

namespace {
std::string format(position where, const std::string& expected, const std::string& found, found_kind kind) {
    // Appends rather than operator+ chains: GCC 12 warns (-Wrestrict, a
    // false positive) on "'" + s + "'" at -O3.
    std::string m = "line ";
    m += std::to_string(where.line);
    m += ':';
    m += std::to_string(where.column);
    m += ": expected ";
    m += expected;
    m += ", found ";
    switch (kind) {
    case found_kind::end_of_input:
        m += "end of input";
        break;
    case found_kind::end_of_line:
        m += "end of line";
        break;
    case found_kind::text:
        m += '\'';
        m += quote_for_message(found);
        m += '\'';
        break;
    }
    return m;
}
} // namespace

parse_error::parse_error(position where, std::string expected, std::string found, found_kind kind)
    : std::runtime_error(format(where, expected, found, kind)), where_(where), expected_(std::move(expected)),
      found_(std::move(found)), kind_(kind) {}

} // namespace shardgate::sql
