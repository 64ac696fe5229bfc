#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "shardgate/key.hpp"

namespace shardgate {
namespace {

std::size_t value_size(const key_value& v) noexcept {
    switch (v.type) {
    case value_type::null: return 1;
    case value_type::boolean: return 2;
    case value_type::int64:
    case value_type::float64: return 9;
    case value_type::string: return 5 + std::size_t{v.length};
    }
    return 1;
}

void put_le64(std::byte* out, std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<std::byte>(v >> (8 * i));
}

} // namespace

std::size_t canonical_key_size(std::span<const key_value> values) noexcept {
    if (values.size() == 1 && values[0].type == value_type::string) return values[0].length;
    std::size_t n = 0;
    for (const auto& v : values) n += value_size(v);
    return n;
}

std::size_t encode_canonical_key(std::span<const key_value> values, std::span<std::byte> out) noexcept {
    const std::size_t need = canonical_key_size(values);
    if (need > out.size()) return key_encode_failed;
    if (values.size() == 1 && values[0].type == value_type::string) {
        if (need) std::memcpy(out.data(), values[0].data, need);
        return need;
    }
    std::byte* p = out.data();
    for (const auto& v : values) {
        *p++ = static_cast<std::byte>(v.type);
        switch (v.type) {
        case value_type::null: break;
        case value_type::boolean: *p++ = static_cast<std::byte>(v.i != 0); break;
        case value_type::int64: put_le64(p, static_cast<std::uint64_t>(v.i)); p += 8; break;
        case value_type::float64: {
            double d = v.f;
            if (d == 0) d = 0; // folds -0.0 into +0.0: they compare equal in SQL
            if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
            put_le64(p, std::bit_cast<std::uint64_t>(d));
            p += 8;
            break;
        }
        case value_type::string: {
            const std::uint32_t len = v.length;
            for (int i = 0; i < 4; ++i) *p++ = static_cast<std::byte>(len >> (8 * i));
            if (len) std::memcpy(p, v.data, len);
            p += len;
            break;
        }
        }
    }
    return need;
}

} // namespace shardgate
