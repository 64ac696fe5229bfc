#pragma once
/// The streaming SQL lexer: query text → tokens and `-- @key: value`
/// annotations. Linear in the input; keywords are ordinary identifier tokens
/// (the parser matches them case-insensitively).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "control/sql/parse_error.hpp"

namespace shardgate::sql {

enum class token_kind : std::uint8_t {
    identifier,        ///< [A-Za-z_][A-Za-z0-9_]*, also every keyword
    quoted_identifier, ///< "name" or `name` (doubled quote escapes itself); `value` holds the name
    string,            ///< 'text' ('' escapes a quote); `value` holds the text
    integer,           ///< decimal digits; `number` holds the value (≤ INT64_MAX)
    decimal,           ///< digits with a fraction or exponent (1.5, 2e3)
    duration,          ///< integer with a unit suffix: 100ms 5s 1m 1h 1d; `number` in milliseconds
    symbol,            ///< ( ) , . ; * + - / % = != <> < <= > >= ||
    end,               ///< end of input (always the last token)
};

struct token {
    token_kind kind = token_kind::end;
    std::string_view text;    ///< exactly as in the source (quotes included)
    std::uint32_t offset = 0; ///< byte offset of text in the source
    position pos;
    std::string value;        ///< string and quoted identifier contents, unescaped
    std::uint64_t number = 0; ///< integer value; duration in milliseconds
};

/// `-- @key: value` on one line (anywhere in the query). Keys are
/// [A-Za-z0-9_.-]+; the value is the rest of the line without surrounding
/// blanks.
struct annotation {
    std::string key;
    std::string value;
    position pos;       ///< of the '@'
    position value_pos; ///< of the value's first byte
};

struct lexed {
    std::vector<token> tokens; ///< ends with one token_kind::end
    std::vector<annotation> annotations;
};

/// Tokenizes `source` (which must outlive the tokens: they point into it).
/// Throws parse_error on an unexpected character, an unterminated string,
/// quoted identifier or comment, a malformed number or duration, or a
/// malformed annotation. Any thread; O(n).
[[nodiscard]] lexed lex(std::string_view source);

/// True when `t` is an identifier token spelling `keyword` (ASCII,
/// case-insensitive). `keyword` is upper case.
[[nodiscard]] bool is_keyword(const token& t, std::string_view keyword) noexcept;

/// ASCII upper/lower case copies.
[[nodiscard]] std::string to_upper(std::string_view s);
[[nodiscard]] std::string to_lower(std::string_view s);
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

} // namespace shardgate::sql
