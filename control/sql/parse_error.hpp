#pragma once
/// The SQL front end's error: where (line:column), what was seen, what was
/// expected. Thrown by the lexer and the parser; never by the dataplane.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shardgate::sql {

/// A position in the query text: 1-based line and column; columns count bytes.
struct position {
    std::uint32_t line = 1;
    std::uint32_t column = 1;
    friend bool operator==(const position&, const position&) = default;
};

/// What an error found where it expected something else.
enum class found_kind : std::uint8_t {
    text,         ///< the offending text (a token, a character)
    end_of_input, ///< the query ended
    end_of_line,  ///< the line ended (annotations are one line)
};

/// what() is "line L:C: expected X, found 'Y'" (or "... found end of input",
/// "... found end of line").
class parse_error : public std::runtime_error {
public:
    /// `found` is the offending text as it appears in the query (it is quoted
    /// and, when long or not printable, abbreviated and escaped in what()).
    parse_error(position where, std::string expected, std::string found, found_kind kind = found_kind::text);
    /// `at_end`: the query ended (`found` is then ignored).
    parse_error(position where, std::string expected, std::string found, bool at_end)
        : parse_error(where, std::move(expected), std::move(found),
                      at_end ? found_kind::end_of_input : found_kind::text) {}

    [[nodiscard]] position where() const noexcept { return where_; }
    [[nodiscard]] std::uint32_t line() const noexcept { return where_.line; }
    [[nodiscard]] std::uint32_t column() const noexcept { return where_.column; }
    [[nodiscard]] const std::string& expected() const noexcept { return expected_; }
    [[nodiscard]] const std::string& found() const noexcept { return found_; }
    [[nodiscard]] bool at_end() const noexcept { return kind_ == found_kind::end_of_input; }
    [[nodiscard]] found_kind found_what() const noexcept { return kind_; }

private:
    position where_;
    std::string expected_;
    std::string found_;
    found_kind kind_;
};

/// `text` as it appears in messages: at most 40 bytes (then "..."), bytes
/// outside printable ASCII as \xNN, so a message is one printable line.
[[nodiscard]] std::string quote_for_message(std::string_view text);

} // namespace shardgate::sql
