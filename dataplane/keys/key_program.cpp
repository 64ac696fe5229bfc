#include "dataplane/keys/key_program.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>

namespace shardgate {
namespace {

std::string_view as_view(const key_value& v) noexcept {
    return {reinterpret_cast<const char*>(v.data), v.length};
}

/// Reserves `n` bytes of scratch, or nullptr when it is full.
char* take(key_scratch& s, std::size_t n) noexcept {
    if (key_scratch_bytes - s.used < n) return nullptr;
    char* p = reinterpret_cast<char*>(s.bytes.data() + s.used);
    s.used += n;
    return p;
}

key_value string_in(const char* p, std::size_t n) noexcept {
    key_value v;
    v.type = value_type::string;
    v.data = reinterpret_cast<const std::byte*>(p);
    v.length = static_cast<std::uint32_t>(n);
    return v;
}

/// Text form of a non-string value, as CAST(v AS VARCHAR) gives it.
key_status to_text(const key_value& v, key_scratch& s, key_value& out) noexcept {
    switch (v.type) {
    case value_type::string:
    case value_type::null:
        out = v;
        return key_status::ok;
    case value_type::boolean: {
        const std::string_view t = v.i ? "true" : "false";
        char* p = take(s, t.size());
        if (!p) return key_status::oversized;
        std::memcpy(p, t.data(), t.size());
        out = string_in(p, t.size());
        return key_status::ok;
    }
    case value_type::int64:
    case value_type::float64: {
        char* p = take(s, 32);
        if (!p) return key_status::oversized;
        const auto r =
            v.type == value_type::int64 ? std::to_chars(p, p + 32, v.i) : std::to_chars(p, p + 32, v.f);
        if (r.ec != std::errc{}) return key_status::bad_value;
        // Give back what the number did not use.
        s.used -= static_cast<std::size_t>(p + 32 - r.ptr);
        out = string_in(p, static_cast<std::size_t>(r.ptr - p));
        return key_status::ok;
    }
    }
    return key_status::bad_value;
}

std::string_view trim_blanks(std::string_view t) noexcept {
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    return t;
}

key_status to_int(const key_value& v, key_value& out) noexcept {
    switch (v.type) {
    case value_type::null:
        out = v;
        return key_status::ok;
    case value_type::int64:
        out = v;
        return key_status::ok;
    case value_type::boolean:
        out = key_value::of_int(v.i);
        return key_status::ok;
    case value_type::float64: {
        // Truncates toward zero; NaN and values outside int64 cannot be cast.
        if (!(v.f > -9.3e18 && v.f < 9.3e18)) return key_status::bad_value;
        const double t = std::trunc(v.f);
        if (t < -9223372036854775808.0 || t >= 9223372036854775808.0) return key_status::bad_value;
        out = key_value::of_int(static_cast<std::int64_t>(t));
        return key_status::ok;
    }
    case value_type::string: {
        const std::string_view t = trim_blanks(as_view(v));
        std::int64_t x = 0;
        const char* b = t.data();
        if (!t.empty() && *b == '+') ++b;
        const auto r = std::from_chars(b, t.data() + t.size(), x);
        if (t.empty() || r.ec != std::errc{} || r.ptr != t.data() + t.size()) return key_status::bad_value;
        out = key_value::of_int(x);
        return key_status::ok;
    }
    }
    return key_status::bad_value;
}

key_status to_double(const key_value& v, key_value& out) noexcept {
    switch (v.type) {
    case value_type::null:
        out = v;
        return key_status::ok;
    case value_type::float64:
        out = v;
        return key_status::ok;
    case value_type::int64:
    case value_type::boolean:
        out = key_value::of_double(static_cast<double>(v.i));
        return key_status::ok;
    case value_type::string: {
        const std::string_view t = trim_blanks(as_view(v));
        double x = 0;
        const char* b = t.data();
        if (!t.empty() && *b == '+') ++b;
        const auto r = std::from_chars(b, t.data() + t.size(), x);
        if (t.empty() || r.ec != std::errc{} || r.ptr != t.data() + t.size()) return key_status::bad_value;
        out = key_value::of_double(x);
        return key_status::ok;
    }
    }
    return key_status::bad_value;
}

/// Integer or floating arithmetic with SQL NULL propagation; overflow,
/// division by zero and non-numbers are bad values.
key_status arith(key_op op, const key_value& a0, const key_value& b0, key_value& out) noexcept {
    if (a0.type == value_type::null || b0.type == value_type::null) {
        out = key_value::null_value();
        return key_status::ok;
    }
    key_value a = a0, b = b0;
    // Strings that hold numbers take part as numbers (as record text fields do).
    if (a.type == value_type::string && to_int(a0, a) != key_status::ok && to_double(a0, a) != key_status::ok)
        return key_status::bad_value;
    if (b.type == value_type::string && to_int(b0, b) != key_status::ok && to_double(b0, b) != key_status::ok)
        return key_status::bad_value;
    if (a.type == value_type::float64 || b.type == value_type::float64) {
        key_value x, y;
        (void)to_double(a, x);
        (void)to_double(b, y);
        double r = 0;
        switch (op) {
        case key_op::add:
            r = x.f + y.f;
            break;
        case key_op::sub:
            r = x.f - y.f;
            break;
        case key_op::mul:
            r = x.f * y.f;
            break;
        case key_op::div:
            if (y.f == 0) return key_status::bad_value;
            r = x.f / y.f;
            break;
        case key_op::mod:
            if (y.f == 0) return key_status::bad_value;
            r = std::fmod(x.f, y.f);
            break;
        default:
            return key_status::bad_value;
        }
        out = key_value::of_double(r);
        return key_status::ok;
    }
    const std::int64_t x = a.i, y = b.i;
    std::int64_t r = 0;
    switch (op) {
    case key_op::add:
        if (__builtin_add_overflow(x, y, &r)) return key_status::bad_value;
        break;
    case key_op::sub:
        if (__builtin_sub_overflow(x, y, &r)) return key_status::bad_value;
        break;
    case key_op::mul:
        if (__builtin_mul_overflow(x, y, &r)) return key_status::bad_value;
        break;
    case key_op::div:
    case key_op::mod:
        if (y == 0 || (x == std::numeric_limits<std::int64_t>::min() && y == -1))
            return key_status::bad_value;
        r = op == key_op::div ? x / y : x % y; // SQL: truncating division, remainder takes x's sign
        break;
    default:
        return key_status::bad_value;
    }
    out = key_value::of_int(r);
    return key_status::ok;
}

} // namespace

key_program::key_program(const key_expr& expr, const resolver& resolve) : text_(expr.text) {
    if (expr.program.empty())
        throw std::invalid_argument("routing key '" + expr.text + "' has an empty program");
    // Strings of push_string live in one pool, sized up front so views stay valid.
    std::size_t pool = 0;
    for (const auto& in : expr.program)
        if (in.op == key_op::push_string) pool += in.text.size();
    text_pool_.reserve(pool);
    int depth = 0;
    for (const auto& in : expr.program) {
        instr out{in.op, 0, in.imm, {}};
        const int pops = key_op_pops(in.op, in.imm);
        if (pops < 0)
            throw std::invalid_argument(
                "routing key '" + expr.text + "': malformed instruction (" +
                (in.op == key_op::substring
                     ? "SUBSTRING takes 2 or 3 arguments, got " + std::to_string(in.imm)
                     : "unknown op " + std::to_string(static_cast<int>(in.op))) +
                ")");
        if (in.op == key_op::field) {
            const auto slot = resolve(in.text);
            if (!slot)
                throw std::invalid_argument("routing key '" + expr.text + "' reads field '" + in.text +
                                            "', which the record format does not have");
            out.slot = *slot;
        } else if (in.op == key_op::push_string) {
            const std::size_t at = text_pool_.size();
            text_pool_ += in.text;
            out.str = std::string_view(text_pool_).substr(at, in.text.size());
        }
        depth -= pops;
        if (depth < 0)
            throw std::invalid_argument("routing key '" + expr.text +
                                        "': malformed program (stack underflow)");
        ++depth;
        if (depth > static_cast<int>(max_depth))
            throw std::invalid_argument("routing key '" + expr.text + "' nests deeper than " +
                                        std::to_string(max_depth) + " values");
        code_.push_back(out);
    }
    if (depth != 1)
        throw std::invalid_argument("routing key '" + expr.text + "': malformed program (leaves " +
                                    std::to_string(depth) + " values)");
}

key_status key_program::eval(const field_values& fields, key_scratch& s, key_value& out) const noexcept {
    std::array<key_value, max_depth> st;
    std::size_t sp = 0;
    for (const instr& in : code_) {
        switch (in.op) {
        case key_op::field:
            if (!(fields.present >> in.slot & 1u)) return key_status::missing;
            if (fields.unusable >> in.slot & 1u) return key_status::bad_value;
            st[sp++] = fields.values[in.slot];
            break;
        case key_op::push_int:
            st[sp++] = key_value::of_int(in.imm);
            break;
        case key_op::push_string:
            st[sp++] = string_in(in.str.data(), in.str.size());
            break;
        case key_op::push_null:
            st[sp++] = key_value::null_value();
            break;
        case key_op::upper:
        case key_op::lower: {
            key_value v;
            if (auto r = to_text(st[sp - 1], s, v); r != key_status::ok) return r;
            if (v.type == value_type::string) {
                char* p = take(s, v.length);
                if (!p && v.length) return key_status::oversized;
                const char* src = reinterpret_cast<const char*>(v.data);
                const bool up = in.op == key_op::upper;
                for (std::uint32_t i = 0; i < v.length; ++i) {
                    char c = src[i];
                    if (up && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
                    if (!up && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
                    p[i] = c;
                }
                v = string_in(p, v.length);
            }
            st[sp - 1] = v;
            break;
        }
        case key_op::trim: {
            key_value v;
            if (auto r = to_text(st[sp - 1], s, v); r != key_status::ok) return r;
            if (v.type == value_type::string) {
                std::string_view t = as_view(v);
                while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
                while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
                v = string_in(t.data(), t.size());
            }
            st[sp - 1] = v;
            break;
        }
        case key_op::substring: {
            // SQL SUBSTRING(s FROM start [FOR len]), 1-based: the characters at
            // positions [start, start + len) that exist.
            const std::size_t args = static_cast<std::size_t>(in.imm);
            key_value str = st[sp - args], start = st[sp - args + 1];
            key_value len =
                args == 3 ? st[sp - 1] : key_value::of_int(std::numeric_limits<std::int64_t>::max());
            sp -= args;
            if (str.type == value_type::null || start.type == value_type::null ||
                len.type == value_type::null) {
                st[sp++] = key_value::null_value();
                break;
            }
            key_value text, from, count;
            if (auto r = to_text(str, s, text); r != key_status::ok) return r;
            if (to_int(start, from) != key_status::ok || to_int(len, count) != key_status::ok)
                return key_status::bad_value;
            if (count.i < 0) return key_status::bad_value; // SQL: negative length is an error
            const std::int64_t n = text.length;
            std::int64_t b = from.i, e = 0;
            if (__builtin_add_overflow(from.i, count.i, &e)) e = std::numeric_limits<std::int64_t>::max();
            b = std::clamp<std::int64_t>(b, 1, n + 1);
            e = std::clamp<std::int64_t>(e, 1, n + 1);
            if (e < b) e = b;
            st[sp++] = string_in(reinterpret_cast<const char*>(text.data) + (b - 1),
                                 static_cast<std::size_t>(e - b));
            break;
        }
        case key_op::cast_int: {
            key_value v;
            if (auto r = to_int(st[sp - 1], v); r != key_status::ok) return r;
            st[sp - 1] = v;
            break;
        }
        case key_op::cast_double: {
            key_value v;
            if (auto r = to_double(st[sp - 1], v); r != key_status::ok) return r;
            st[sp - 1] = v;
            break;
        }
        case key_op::cast_string: {
            key_value v;
            if (auto r = to_text(st[sp - 1], s, v); r != key_status::ok) return r;
            st[sp - 1] = v;
            break;
        }
        case key_op::add:
        case key_op::sub:
        case key_op::mul:
        case key_op::div:
        case key_op::mod: {
            key_value v;
            if (auto r = arith(in.op, st[sp - 2], st[sp - 1], v); r != key_status::ok) return r;
            st[--sp - 1] = v;
            break;
        }
        case key_op::neg: {
            key_value& v = st[sp - 1];
            if (v.type == value_type::null) break;
            key_value num = v;
            if (v.type == value_type::string && to_int(v, num) != key_status::ok &&
                to_double(v, num) != key_status::ok)
                return key_status::bad_value;
            if (num.type == value_type::float64) {
                v = key_value::of_double(-num.f);
            } else if (num.type == value_type::int64 || num.type == value_type::boolean) {
                if (num.i == std::numeric_limits<std::int64_t>::min()) return key_status::bad_value;
                v = key_value::of_int(-num.i);
            } else {
                return key_status::bad_value;
            }
            break;
        }
        case key_op::concat: {
            key_value a, b;
            if (auto r = to_text(st[sp - 2], s, a); r != key_status::ok) return r;
            if (auto r = to_text(st[sp - 1], s, b); r != key_status::ok) return r;
            --sp;
            if (a.type == value_type::null || b.type == value_type::null) {
                st[sp - 1] = key_value::null_value();
                break;
            }
            char* p = take(s, std::size_t{a.length} + b.length);
            if (!p && a.length + b.length) return key_status::oversized;
            if (a.length) std::memcpy(p, a.data, a.length);
            if (b.length) std::memcpy(p + a.length, b.data, b.length);
            st[sp - 1] = string_in(p, std::size_t{a.length} + b.length);
            break;
        }
        }
    }
    out = st[0];
    return key_status::ok;
}

key_set::key_set(std::span<const key_expr> keys, const key_program::resolver& resolve)
    : arena_(max_burst * max_key_bytes) {
    if (keys.size() > max_keys)
        throw std::invalid_argument("a plan may route by at most " + std::to_string(max_keys) +
                                    " keys, got " + std::to_string(keys.size()));
    programs_.reserve(keys.size());
    for (const auto& k : keys) programs_.emplace_back(k, resolve);
}

void key_set::encode(record_burst& b, std::uint32_t i, const field_values& fields) noexcept {
    scratch_.used = 0;
    auto& values = values_;
    const std::size_t n = programs_.size();
    for (std::size_t k = 0; k < n; ++k) {
        const key_program& p = programs_[k];
        key_status st = key_status::ok;
        if (const auto slot = p.plain_field()) {
            if (!(fields.present >> *slot & 1u))
                st = key_status::missing;
            else if (fields.unusable >> *slot & 1u)
                st = key_status::bad_value;
            else
                values[k] = fields.values[*slot];
        } else {
            st = p.eval(fields, scratch_, values[k]);
        }
        if (st != key_status::ok) {
            b.keys[i] = {};
            b.key_states[i] = st;
            return;
        }
    }
    const std::span<const key_value> vals(values.data(), n);
    if (n == 1 && values[0].type == value_type::string && values[0].length <= max_key_bytes &&
        programs_[0].plain_field()) {
        // A single plain string key is its raw bytes (see encode_canonical_key):
        // point at the record instead of copying.
        b.keys[i] = {values[0].data, values[0].length};
        b.key_states[i] = key_status::ok;
        return;
    }
    std::byte* slot = arena_.data() + std::size_t{i} * max_key_bytes;
    const std::size_t len = encode_canonical_key(vals, std::span(slot, max_key_bytes));
    if (len == key_encode_failed) {
        b.keys[i] = {};
        b.key_states[i] = key_status::oversized;
        return;
    }
    b.keys[i] = {slot, static_cast<std::uint32_t>(len)};
    b.key_states[i] = key_status::ok;
}

} // namespace shardgate
