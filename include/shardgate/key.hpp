#pragma once
/// Canonical key encoding: typed and length-prefixed, so ("ab","c") and
/// ("a","bc") differ, and NULL is not the string "NULL".

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace shardgate {

enum class value_type : std::uint8_t { null = 0, boolean = 1, int64 = 2, float64 = 3, string = 4 };

/// A typed value of a key column or key expression. Strings are borrowed.
struct key_value {
    value_type type = value_type::null;
    std::int64_t i = 0;  ///< int64 and boolean
    double f = 0;        ///< float64
    const std::byte* data = nullptr; ///< string bytes
    std::uint32_t length = 0;

    static key_value null_value() noexcept { return {}; }
    static key_value of_int(std::int64_t v) noexcept { return {value_type::int64, v, 0, nullptr, 0}; }
    static key_value of_bool(bool v) noexcept { return {value_type::boolean, v ? 1 : 0, 0, nullptr, 0}; }
    static key_value of_double(double v) noexcept { return {value_type::float64, 0, v, nullptr, 0}; }
    static key_value of_string(std::string_view s) noexcept {
        return {value_type::string, 0, 0, reinterpret_cast<const std::byte*>(s.data()),
                static_cast<std::uint32_t>(s.size())};
    }
};

/// encode_canonical_key's result when the key does not fit.
inline constexpr std::size_t key_encode_failed = static_cast<std::size_t>(-1);

/// Bytes the canonical encoding of `values` takes.
[[nodiscard]] std::size_t canonical_key_size(std::span<const key_value> values) noexcept;

/// Writes the canonical encoding of `values` into `out`: per value a type tag
/// byte, then nothing (null), 1 byte (boolean), 8 bytes little-endian
/// (int64; float64 as IEEE bits with -0 folded to +0 and every NaN to one NaN),
/// or a 4-byte little-endian length and the bytes (string).
/// Exception: a key of exactly one string value is its raw bytes, so a plain
/// string key hashes as Kafka clients and other routers hash it.
/// Returns the bytes written, or key_encode_failed when `out` is too small
/// (nothing usable is written then). No allocation.
[[nodiscard]] std::size_t encode_canonical_key(std::span<const key_value> values,
                                               std::span<std::byte> out) noexcept;

} // namespace shardgate
