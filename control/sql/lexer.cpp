#include "control/sql/lexer.hpp"

#include <cstdint>
#include <limits>

namespace shardgate::sql {

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
        if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
        if (x != y) return false;
    }
    return true;
}

bool is_keyword(const token& t, std::string_view keyword) noexcept {
    return t.kind == token_kind::identifier && iequals(t.text, keyword);
}

std::string to_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_ident_start(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) noexcept { return is_ident_start(c) || is_digit(c); }
bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

class lexer {
public:
    explicit lexer(std::string_view src) : src_(src) {}

    lexed run() {
        lexed out;
        // A UTF-8 byte order mark some editors write: not part of the query.
        if (src_.substr(0, 3) == "\xef\xbb\xbf") at_ = 3;
        // A token every other byte at most; reserve avoids regrowth copies.
        out.tokens.reserve(src_.size() / 4 + 2);
        for (;;) {
            skip_blanks_and_comments(out.annotations);
            if (at_ >= src_.size()) break;
            out.tokens.push_back(next_token());
        }
        token end;
        end.kind = token_kind::end;
        end.offset = static_cast<std::uint32_t>(src_.size());
        end.pos = here();
        out.tokens.push_back(std::move(end));
        return out;
    }

private:
    [[nodiscard]] position here() const noexcept { return {line_, col_}; }
    [[nodiscard]] char peek(std::size_t k = 0) const noexcept {
        return at_ + k < src_.size() ? src_[at_ + k] : '\0';
    }
    [[nodiscard]] bool more(std::size_t k = 0) const noexcept { return at_ + k < src_.size(); }
    void advance() noexcept {
        if (src_[at_] == '\n') {
            ++line_;
            col_ = 1;
        } else {
            ++col_;
        }
        ++at_;
    }

    void skip_blanks_and_comments(std::vector<annotation>& annotations) {
        while (more()) {
            const char c = peek();
            if (c == '\n' || is_blank(c)) {
                advance();
            } else if (c == '-' && peek(1) == '-') {
                line_comment(annotations);
            } else if (c == '/' && peek(1) == '*') {
                const position start = here();
                advance();
                advance();
                for (;;) {
                    if (!more()) throw parse_error(start, "'*/' to close the comment opened here", "", true);
                    if (peek() == '*' && peek(1) == '/') {
                        advance();
                        advance();
                        break;
                    }
                    advance();
                }
            } else {
                break;
            }
        }
    }

    void line_comment(std::vector<annotation>& annotations) {
        advance(); // -
        advance(); // -
        while (more() && (peek() == ' ' || peek() == '\t')) advance();
        if (peek() != '@') {
            while (more() && peek() != '\n') advance();
            return;
        }
        annotation a;
        a.pos = here();
        advance(); // @
        const std::size_t key_start = at_;
        while (more() && (is_ident_char(peek()) || peek() == '.' || peek() == '-')) advance();
        a.key.assign(src_.substr(key_start, at_ - key_start));
        if (a.key.empty())
            throw parse_error(here(), "an annotation name after '@' (as in '-- @num_partitions: 8')",
                              rest_of_line(), line_end_kind());
        while (more() && (peek() == ' ' || peek() == '\t')) advance();
        if (peek() != ':')
            throw parse_error(here(), "':' after annotation name '@" + a.key + "'", rest_of_line(),
                              line_end_kind());
        advance();
        while (more() && (peek() == ' ' || peek() == '\t')) advance();
        a.value_pos = here();
        const std::size_t value_start = at_;
        while (more() && peek() != '\n') advance();
        std::string_view value = src_.substr(value_start, at_ - value_start);
        while (!value.empty() && is_blank(value.back())) value.remove_suffix(1);
        if (value.empty())
            throw parse_error(a.value_pos, "a value after '@" + a.key + ":'", "", line_end_kind());
        a.value.assign(value);
        annotations.push_back(std::move(a));
    }

    /// How "found" reads at the current byte when it ends a line or the input.
    [[nodiscard]] found_kind line_end_kind() const noexcept {
        if (!more()) return found_kind::end_of_input;
        return peek() == '\n' || peek() == '\r' ? found_kind::end_of_line : found_kind::text;
    }

    [[nodiscard]] std::string rest_of_line() const {
        std::size_t e = at_;
        while (e < src_.size() && src_[e] != '\n') ++e;
        return std::string(src_.substr(at_, e - at_));
    }

    token next_token() {
        token t;
        t.pos = here();
        t.offset = static_cast<std::uint32_t>(at_);
        const std::size_t start = at_;
        const char c = peek();
        if (is_ident_start(c)) {
            while (more() && is_ident_char(peek())) advance();
            t.kind = token_kind::identifier;
        } else if (is_digit(c)) {
            number(t);
        } else if (c == '\'') {
            quoted(t, '\'', token_kind::string, "a closing ' for this string");
        } else if (c == '"') {
            quoted(t, '"', token_kind::quoted_identifier, "a closing \" for this quoted identifier");
        } else if (c == '`') {
            quoted(t, '`', token_kind::quoted_identifier, "a closing ` for this quoted identifier");
        } else {
            symbol(t);
        }
        t.text = src_.substr(start, at_ - start);
        return t;
    }

    void quoted(token& t, char q, token_kind kind, const char* expected) {
        const position start = here();
        advance();
        for (;;) {
            if (!more()) throw parse_error(start, expected, "", true);
            const char c = peek();
            if (c == q) {
                if (peek(1) == q) {
                    t.value += q;
                    advance();
                    advance();
                    continue;
                }
                advance();
                break;
            }
            t.value += c;
            advance();
        }
        t.kind = kind;
        if (kind == token_kind::quoted_identifier && t.value.empty())
            throw parse_error(start, "a non-empty quoted identifier", std::string(2, q));
    }

    void number(token& t) {
        const position start = here();
        const std::size_t begin = at_;
        while (more() && is_digit(peek())) advance();
        bool is_decimal = false;
        if (peek() == '.' && is_digit(peek(1))) {
            is_decimal = true;
            advance();
            while (more() && is_digit(peek())) advance();
        }
        if ((peek() == 'e' || peek() == 'E') &&
            (is_digit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && is_digit(peek(2))))) {
            is_decimal = true;
            advance();
            if (peek() == '+' || peek() == '-') advance();
            while (more() && is_digit(peek())) advance();
        }
        const std::string_view digits = src_.substr(begin, at_ - begin);
        if (is_decimal) {
            if (more() && is_ident_char(peek()))
                throw parse_error(start, "a number followed by a blank, operator or punctuation",
                                  std::string(digits) + peek());
            t.kind = token_kind::decimal;
            return;
        }
        // Integer value, checked for overflow digit by digit.
        std::uint64_t v = 0;
        constexpr std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        for (char d : digits) {
            const auto digit = static_cast<std::uint64_t>(d - '0');
            if (v > (limit - digit) / 10)
                throw parse_error(start, "an integer no larger than 9223372036854775807",
                                  std::string(digits));
            v = v * 10 + digit;
        }
        t.number = v;
        t.kind = token_kind::integer;
        if (!(more() && is_ident_start(peek()))) return;
        // A duration: digits immediately followed by a unit suffix.
        const std::size_t unit_begin = at_;
        while (more() && is_ident_char(peek())) advance();
        const std::string_view unit = src_.substr(unit_begin, at_ - unit_begin);
        std::uint64_t scale = 0;
        if (iequals(unit, "ms"))
            scale = 1;
        else if (iequals(unit, "s"))
            scale = 1000;
        else if (iequals(unit, "m"))
            scale = 60'000;
        else if (iequals(unit, "h"))
            scale = 3'600'000;
        else if (iequals(unit, "d"))
            scale = 86'400'000;
        const std::string_view whole = src_.substr(begin, at_ - begin);
        if (scale == 0)
            throw parse_error(start, "a duration unit ms, s, m, h or d after " + std::string(digits),
                              std::string(whole));
        if (v > limit / scale)
            throw parse_error(start, "a duration no longer than 9223372036854775807 ms", std::string(whole));
        t.number = v * scale;
        t.kind = token_kind::duration;
    }

    void symbol(token& t) {
        const char c = peek();
        const char d = peek(1);
        auto two = [&](char a, char b) { return c == a && d == b; };
        if (two('<', '=') || two('>', '=') || two('<', '>') || two('!', '=') || two('|', '|')) {
            advance();
            advance();
        } else {
            switch (c) {
            case '(':
            case ')':
            case ',':
            case '.':
            case ';':
            case '*':
            case '+':
            case '-':
            case '/':
            case '%':
            case '=':
            case '<':
            case '>':
                advance();
                break;
            default:
                throw parse_error(here(), "a keyword, identifier, literal, operator or punctuation",
                                  std::string(1, c));
            }
        }
        t.kind = token_kind::symbol;
    }

    std::string_view src_;
    std::size_t at_ = 0;
    std::uint32_t line_ = 1;
    std::uint32_t col_ = 1;
};

} // namespace

lexed lex(std::string_view source) { return lexer(source).run(); }

} // namespace shardgate::sql
