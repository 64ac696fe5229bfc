#include "tools/common/trade.hpp"

#include <bit>
#include <charconv>
#include <cstring>
#include <limits>

namespace shardgate::tools {

static_assert(std::endian::native == std::endian::little,
              "the fixed form is little-endian; the tools store integers with memcpy");

namespace {

template <typename T>
void store_le(char* p, T v) noexcept {
    std::memcpy(p, &v, sizeof v);
}
template <typename T>
T load_le(const char* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

constexpr bool symbol_char(char c) noexcept { return c >= 0x21 && c <= 0x7e; }

bool ieq(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (x != b[i]) return false;
    }
    return true;
}

std::uint64_t mix64(std::uint64_t x) noexcept { // splitmix64's finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// Parses an unsigned decimal with overflow check; false on anything else.
bool parse_u64(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty() || s.size() > 20) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
        v = v * 10 + d;
    }
    out = v;
    return true;
}

bool parse_i64(std::string_view s, std::int64_t& out) noexcept {
    const bool neg = !s.empty() && s.front() == '-';
    if (neg) s.remove_prefix(1);
    std::uint64_t m = 0;
    if (!parse_u64(s, m)) return false;
    const std::uint64_t limit = neg ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    if (m > limit) return false;
    out = neg ? static_cast<std::int64_t>(0 - m) : static_cast<std::int64_t>(m);
    return true;
}

decode_result bad(malformed_reason r, const char* what) noexcept { return {r, what}; }

// ---- fixed -------------------------------------------------------------------

decode_result decode_fixed(std::string_view b, trade& t) noexcept {
    if (b.size() < fixed_record_size)
        return bad(malformed_reason::truncated, "fixed record shorter than 40 bytes");
    if (b.size() > fixed_record_size)
        return bad(malformed_reason::oversized, "fixed record longer than 40 bytes");
    const char* p = b.data();
    t.seq = load_le<std::uint64_t>(p);
    t.source = load_le<std::uint32_t>(p + 8);
    std::memcpy(t.symbol.data(), p + 12, symbol_capacity);
    t.trader_id = load_le<std::uint64_t>(p + 24);
    t.price = load_le<std::int64_t>(p + 32);
    std::size_t n = 0;
    while (n < symbol_capacity && t.symbol[n] != '\0') {
        if (!symbol_char(t.symbol[n]))
            return bad(malformed_reason::syntax, "symbol has a non-printable byte");
        ++n;
    }
    if (n == 0) return bad(malformed_reason::syntax, "symbol is empty (all NUL)");
    for (std::size_t i = n; i < symbol_capacity; ++i)
        if (t.symbol[i] != '\0')
            return bad(malformed_reason::syntax, "symbol has bytes after its NUL padding");
    return {};
}

// ---- csv ---------------------------------------------------------------------

/// Strips a field's wrapping quotes into `buf` (`""` → `"`). Returns false on
/// an unclosed quote or a lone quote inside; `out` views buf or the input.
/// `too_long` is set when the unquoted text exceeds the buffer.
bool csv_unquote(std::string_view raw, char* buf, std::size_t cap, std::string_view& out,
                 bool& too_long) noexcept {
    too_long = false;
    if (raw.empty() || raw.front() != '"') {
        out = raw;
        return true;
    }
    if (raw.size() < 2 || raw.back() != '"') return false;
    const std::string_view in = raw.substr(1, raw.size() - 2);
    std::size_t n = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '"') {
            if (i + 1 >= in.size() || in[i + 1] != '"') return false;
            ++i;
        }
        if (n == cap) {
            too_long = true;
        } else {
            buf[n++] = c;
        }
    }
    out = {buf, n};
    return true;
}

decode_result decode_csv(std::string_view b, trade& t) noexcept {
    std::array<std::string_view, 5> raw{};
    std::size_t count = 0;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = b.find(',', start);
        const std::size_t end = comma == std::string_view::npos ? b.size() : comma;
        if (count == raw.size()) return bad(malformed_reason::syntax, "more than five columns");
        raw[count++] = b.substr(start, end - start);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    std::array<std::string_view, 5> f{};
    std::array<std::array<char, 32>, 5> bufs;
    bool symbol_too_long = false;
    for (std::size_t i = 0; i < count; ++i) {
        bool too_long = false;
        if (!csv_unquote(raw[i], bufs[i].data(), bufs[i].size(), f[i], too_long))
            return bad(malformed_reason::syntax, "unclosed or stray double quote");
        if (too_long) {
            if (i != 2) return bad(malformed_reason::syntax, "integer column too long");
            symbol_too_long = true;
        }
    }
    auto int_col = [&](std::size_t i, auto& v, auto parse, const char* what) -> decode_result {
        if (i >= count || f[i].empty()) return bad(malformed_reason::missing_key, what);
        if (!parse(f[i], v)) return bad(malformed_reason::syntax, what);
        return {};
    };
    std::uint64_t source = 0;
    decode_result r;
    if (r = int_col(0, t.seq, parse_u64, "seq: missing, or not an unsigned integer");
        r.reason != malformed_reason::none)
        return r;
    if (r = int_col(1, source, parse_u64, "source: missing, or not an unsigned integer");
        r.reason != malformed_reason::none)
        return r;
    if (source > std::numeric_limits<std::uint32_t>::max())
        return bad(malformed_reason::syntax, "source exceeds 32 bits");
    t.source = static_cast<std::uint32_t>(source);
    if (count >= 4) {
        if (r = int_col(3, t.trader_id, parse_u64, "trader_id: missing, or not an unsigned integer");
            r.reason != malformed_reason::none)
            return r;
    }
    if (count >= 5) {
        if (r = int_col(4, t.price, parse_i64, "price: missing, or not an integer");
            r.reason != malformed_reason::none)
            return r;
    }
    if (count < 5) return bad(malformed_reason::missing_key, "fewer than five columns");
    const std::string_view sym = f[2];
    if (sym.empty()) return bad(malformed_reason::missing_key, "symbol is empty (NULL)");
    if (symbol_too_long || sym.size() > symbol_capacity)
        return bad(malformed_reason::oversized, "symbol longer than 12 bytes");
    for (char c : sym)
        if (!symbol_char(c)) return bad(malformed_reason::syntax, "symbol has a non-printable or blank byte");
    t.set_symbol(sym);
    return {};
}

// ---- ndjson ------------------------------------------------------------------

class json_cursor {
public:
    explicit json_cursor(std::string_view s) noexcept : p_(s.data()), end_(s.data() + s.size()) {}
    void ws() noexcept {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
    }
    bool eat(char c) noexcept {
        if (p_ < end_ && *p_ == c) {
            ++p_;
            return true;
        }
        return false;
    }
    [[nodiscard]] bool at_end() const noexcept { return p_ == end_; }
    [[nodiscard]] char peek() const noexcept { return p_ < end_ ? *p_ : '\0'; }

    /// Parses a string (cursor on the opening quote) into buf (up to cap
    /// bytes; `length` is the full decoded length even when longer).
    bool string(char* buf, std::size_t cap, std::size_t& length) noexcept {
        if (!eat('"')) return false;
        length = 0;
        while (p_ < end_) {
            unsigned char c = static_cast<unsigned char>(*p_++);
            if (c == '"') return true;
            if (c < 0x20) return false; // control characters must be escaped
            if (c == '\\') {
                if (p_ >= end_) return false;
                char e = *p_++;
                switch (e) {
                case '"':
                    c = '"';
                    break;
                case '\\':
                    c = '\\';
                    break;
                case '/':
                    c = '/';
                    break;
                case 'b':
                    c = '\b';
                    break;
                case 'f':
                    c = '\f';
                    break;
                case 'n':
                    c = '\n';
                    break;
                case 'r':
                    c = '\r';
                    break;
                case 't':
                    c = '\t';
                    break;
                case 'u': {
                    unsigned cp = 0;
                    if (!hex4(cp)) return false;
                    if (cp >= 0xd800 && cp <= 0xdbff) { // surrogate pair
                        unsigned lo = 0;
                        if (!eat('\\') || !eat('u') || !hex4(lo) || lo < 0xdc00 || lo > 0xdfff) return false;
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                        return false;
                    }
                    put_utf8(cp, buf, cap, length);
                    continue;
                }
                default:
                    return false;
                }
            }
            put(static_cast<char>(c), buf, cap, length);
        }
        return false;
    }

    /// A JSON number; `is_int` when it has no fraction or exponent. `text`
    /// views the digits (with sign).
    bool number(std::string_view& text, bool& is_int) noexcept {
        const char* s = p_;
        eat('-');
        if (p_ >= end_) return false;
        if (*p_ == '0') {
            ++p_;
        } else if (*p_ >= '1' && *p_ <= '9') {
            while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
        } else {
            return false;
        }
        is_int = true;
        if (p_ < end_ && *p_ == '.') {
            is_int = false;
            ++p_;
            if (!digits()) return false;
        }
        if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
            is_int = false;
            ++p_;
            if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (!digits()) return false;
        }
        text = {s, static_cast<std::size_t>(p_ - s)};
        return true;
    }

    bool literal(std::string_view word) noexcept {
        if (static_cast<std::size_t>(end_ - p_) < word.size() ||
            std::memcmp(p_, word.data(), word.size()) != 0)
            return false;
        p_ += word.size();
        return true;
    }

    /// Skips any JSON value; nesting bounded to keep the stack small.
    bool skip_value(int depth = 0) noexcept {
        if (depth > 64) return false;
        ws();
        const char c = peek();
        if (c == '"') {
            std::size_t n = 0;
            return string(nullptr, 0, n);
        }
        if (c == '{' || c == '[') {
            const char close = c == '{' ? '}' : ']';
            ++p_;
            ws();
            if (eat(close)) return true;
            for (;;) {
                if (c == '{') {
                    ws();
                    std::size_t n = 0;
                    if (!string(nullptr, 0, n)) return false;
                    ws();
                    if (!eat(':')) return false;
                }
                if (!skip_value(depth + 1)) return false;
                ws();
                if (eat(close)) return true;
                if (!eat(',')) return false;
            }
        }
        if (c == 't') return literal("true");
        if (c == 'f') return literal("false");
        if (c == 'n') return literal("null");
        std::string_view t;
        bool is_int = false;
        return number(t, is_int);
    }

private:
    bool digits() noexcept {
        const char* s = p_;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
        return p_ != s;
    }
    bool hex4(unsigned& v) noexcept {
        if (end_ - p_ < 4) return false;
        v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = *p_++;
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<unsigned>(c - 'A' + 10);
            else
                return false;
        }
        return true;
    }
    static void put(char c, char* buf, std::size_t cap, std::size_t& n) noexcept {
        if (n < cap) buf[n] = c;
        ++n;
    }
    static void put_utf8(unsigned cp, char* buf, std::size_t cap, std::size_t& n) noexcept {
        if (cp < 0x80) {
            put(static_cast<char>(cp), buf, cap, n);
        } else if (cp < 0x800) {
            put(static_cast<char>(0xc0 | (cp >> 6)), buf, cap, n);
            put(static_cast<char>(0x80 | (cp & 0x3f)), buf, cap, n);
        } else if (cp < 0x10000) {
            put(static_cast<char>(0xe0 | (cp >> 12)), buf, cap, n);
            put(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), buf, cap, n);
            put(static_cast<char>(0x80 | (cp & 0x3f)), buf, cap, n);
        } else {
            put(static_cast<char>(0xf0 | (cp >> 18)), buf, cap, n);
            put(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)), buf, cap, n);
            put(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), buf, cap, n);
            put(static_cast<char>(0x80 | (cp & 0x3f)), buf, cap, n);
        }
    }

    const char* p_;
    const char* end_;
};

decode_result decode_ndjson(std::string_view b, trade& t) noexcept {
    json_cursor c(b);
    c.ws();
    if (!c.eat('{')) return bad(malformed_reason::syntax, "not a JSON object");
    unsigned present = 0; // bit per trade_field
    c.ws();
    if (!c.eat('}')) {
        for (;;) {
            c.ws();
            std::array<char, 16> name_buf;
            std::size_t name_len = 0;
            if (!c.string(name_buf.data(), name_buf.size(), name_len))
                return bad(malformed_reason::syntax, "bad JSON: expected a member name string");
            c.ws();
            if (!c.eat(':'))
                return bad(malformed_reason::syntax, "bad JSON: expected ':' after a member name");
            c.ws();
            std::optional<trade_field> field;
            if (name_len <= name_buf.size()) field = find_trade_field({name_buf.data(), name_len});
            if (field && name_len <= name_buf.size() &&
                trade_field_names[static_cast<std::size_t>(*field)] !=
                    std::string_view(name_buf.data(), name_len))
                field.reset(); // member names are case-sensitive
            if (!field) {
                if (!c.skip_value()) return bad(malformed_reason::syntax, "bad JSON value");
            } else if (c.peek() == 'n') {
                if (!c.literal("null")) return bad(malformed_reason::syntax, "bad JSON literal");
                present &= ~(1u << static_cast<unsigned>(*field));
            } else if (*field == trade_field::symbol) {
                if (c.peek() != '"') {
                    if (!c.skip_value()) return bad(malformed_reason::syntax, "bad JSON value");
                    return bad(malformed_reason::syntax, "symbol is not a string");
                }
                std::array<char, symbol_capacity> sym{};
                std::size_t n = 0;
                if (!c.string(sym.data(), sym.size(), n))
                    return bad(malformed_reason::syntax, "bad JSON string");
                if (n > symbol_capacity)
                    return bad(malformed_reason::oversized, "symbol longer than 12 bytes");
                if (n == 0) return bad(malformed_reason::missing_key, "symbol is empty");
                for (std::size_t i = 0; i < n; ++i)
                    if (!symbol_char(sym[i]))
                        return bad(malformed_reason::syntax, "symbol has a non-printable or blank byte");
                t.symbol = sym;
                present |= 1u << static_cast<unsigned>(*field);
            } else {
                std::string_view num;
                bool is_int = false;
                if (c.peek() != '-' && (c.peek() < '0' || c.peek() > '9')) {
                    if (!c.skip_value()) return bad(malformed_reason::syntax, "bad JSON value");
                    return bad(malformed_reason::syntax, "integer field holds a non-number");
                }
                if (!c.number(num, is_int)) return bad(malformed_reason::syntax, "bad JSON number");
                if (!is_int) return bad(malformed_reason::syntax, "integer field holds a non-integer number");
                std::uint64_t u = 0;
                switch (*field) {
                case trade_field::seq:
                    if (!parse_u64(num, t.seq)) return bad(malformed_reason::syntax, "seq out of range");
                    break;
                case trade_field::source:
                    if (!parse_u64(num, u) || u > std::numeric_limits<std::uint32_t>::max())
                        return bad(malformed_reason::syntax, "source out of range");
                    t.source = static_cast<std::uint32_t>(u);
                    break;
                case trade_field::trader_id:
                    if (!parse_u64(num, t.trader_id))
                        return bad(malformed_reason::syntax, "trader_id out of range");
                    break;
                case trade_field::price:
                    if (!parse_i64(num, t.price)) return bad(malformed_reason::syntax, "price out of range");
                    break;
                case trade_field::symbol:
                    break;
                }
                present |= 1u << static_cast<unsigned>(*field);
            }
            c.ws();
            if (c.eat('}')) break;
            if (!c.eat(',')) return bad(malformed_reason::syntax, "bad JSON: expected ',' or '}'");
        }
    }
    c.ws();
    if (!c.at_end()) return bad(malformed_reason::syntax, "bad JSON: characters after the object");
    if (present != 0x1f) {
        static constexpr std::array<const char*, 5> missing{
            "seq missing or null", "source missing or null", "symbol missing or null",
            "trader_id missing or null", "price missing or null"};
        for (unsigned i = 0; i < 5; ++i)
            if (!(present & (1u << i))) return bad(malformed_reason::missing_key, missing[i]);
    }
    return {};
}

} // namespace

std::string_view to_string(record_format f) noexcept {
    switch (f) {
    case record_format::fixed:
        return "fixed";
    case record_format::csv:
        return "csv";
    case record_format::ndjson:
        return "ndjson";
    }
    return "?";
}

std::optional<record_format> find_format(std::string_view name) noexcept {
    for (auto f : {record_format::fixed, record_format::csv, record_format::ndjson})
        if (ieq(name, to_string(f))) return f;
    return std::nullopt;
}

std::size_t max_valid_record_size(record_format f) noexcept {
    switch (f) {
    case record_format::fixed:
        return fixed_record_size;
    // seq(20) , source(10) , symbol(12) , trader_id(20) , price(20) \n
    case record_format::csv:
        return 20 + 1 + 10 + 1 + 12 + 1 + 20 + 1 + 20 + 1;
    // {"seq":…,"source":…,"symbol":"…","trader_id":…,"price":…}\n
    case record_format::ndjson:
        return 7 + 20 + 10 + 10 + 11 + 12 + 1 + 13 + 20 + 9 + 20 + 1 + 1;
    }
    return 0;
}

std::optional<trade_field> find_trade_field(std::string_view name) noexcept {
    for (std::size_t i = 0; i < trade_field_names.size(); ++i)
        if (ieq(name, trade_field_names[i])) return static_cast<trade_field>(i);
    return std::nullopt;
}

std::string_view trade::symbol_view() const noexcept {
    std::size_t n = 0;
    while (n < symbol_capacity && symbol[n] != '\0') ++n;
    return {symbol.data(), n};
}

void trade::set_symbol(std::string_view s) noexcept {
    symbol.fill('\0');
    std::memcpy(symbol.data(), s.data(), s.size() < symbol_capacity ? s.size() : symbol_capacity);
}

std::int64_t trade_price(std::uint64_t seq, std::uint32_t source,
                         const std::array<char, symbol_capacity>& symbol, std::uint64_t trader_id) noexcept {
    std::uint64_t h = mix64(seq ^ 0x9e3779b97f4a7c15ULL);
    h = mix64(h ^ source);
    h = mix64(h ^ load_le<std::uint64_t>(symbol.data()));
    h = mix64(h ^ load_le<std::uint32_t>(symbol.data() + 8));
    h = mix64(h ^ trader_id);
    return static_cast<std::int64_t>(10000 + h % 99990000);
}

std::string_view to_string(malformed_reason r) noexcept {
    switch (r) {
    case malformed_reason::none:
        return "none";
    case malformed_reason::truncated:
        return "truncated";
    case malformed_reason::syntax:
        return "syntax";
    case malformed_reason::missing_key:
        return "missing_key";
    case malformed_reason::oversized:
        return "oversized";
    }
    return "?";
}

std::size_t encode(record_format f, const trade& t, char* out) noexcept {
    const std::string_view sym = t.symbol_view();
    switch (f) {
    case record_format::fixed:
        store_le(out, t.seq);
        store_le(out + 8, t.source);
        std::memcpy(out + 12, t.symbol.data(), symbol_capacity);
        store_le(out + 24, t.trader_id);
        store_le(out + 32, t.price);
        return fixed_record_size;
    case record_format::csv: {
        char* p = out;
        char* const end = out + max_valid_record_size(f);
        p = std::to_chars(p, end, t.seq).ptr;
        *p++ = ',';
        p = std::to_chars(p, end, t.source).ptr;
        *p++ = ',';
        std::memcpy(p, sym.data(), sym.size());
        p += sym.size();
        *p++ = ',';
        p = std::to_chars(p, end, t.trader_id).ptr;
        *p++ = ',';
        p = std::to_chars(p, end, t.price).ptr;
        *p++ = '\n';
        return static_cast<std::size_t>(p - out);
    }
    case record_format::ndjson: {
        char* p = out;
        char* const end = out + max_valid_record_size(f);
        auto lit = [&p](std::string_view s) {
            std::memcpy(p, s.data(), s.size());
            p += s.size();
        };
        lit("{\"seq\":");
        p = std::to_chars(p, end, t.seq).ptr;
        lit(",\"source\":");
        p = std::to_chars(p, end, t.source).ptr;
        lit(",\"symbol\":\"");
        lit(sym);
        lit("\",\"trader_id\":");
        p = std::to_chars(p, end, t.trader_id).ptr;
        lit(",\"price\":");
        p = std::to_chars(p, end, t.price).ptr;
        lit("}\n");
        return static_cast<std::size_t>(p - out);
    }
    }
    return 0;
}

decode_result decode(record_format f, std::string_view bytes, trade& out,
                     std::size_t max_record_bytes) noexcept {
    if (f == record_format::fixed) return decode_fixed(bytes, out);
    if (bytes.size() > max_record_bytes)
        return bad(malformed_reason::oversized, "record longer than the maximum");
    if (bytes.empty()) return bad(malformed_reason::syntax, "empty record (blank line)");
    return f == record_format::csv ? decode_csv(bytes, out) : decode_ndjson(bytes, out);
}

std::string printable(std::string_view bytes, std::size_t limit) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    const std::size_t n = bytes.size() < limit ? bytes.size() : limit;
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    if (n < bytes.size()) out += "...(" + std::to_string(bytes.size()) + " bytes)";
    return out;
}

} // namespace shardgate::tools
