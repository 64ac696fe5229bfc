#pragma once
// Internal to dataplane/hash: XXH3-64's cases for keys of 0..128 bytes
// (xxHash 0.8.1, XXH3_len_0to16_64b and XXH3_len_17to128_64b) restated over
// constants computed once per seed, shared by the interleaved and SIMD paths
// of xxh3_burst. Longer keys go to the inlined reference.
//
// Every short key is first reduced to one or two little-endian words:
//   len 0       nothing (the hash depends on the seed only)
//   len 1..3    w0 = {c3, len, c1, c2} as XXH3_len_1to3_64b packs them
//   len 4..8    w0 = first 4 bytes, w1 = last 4 bytes (they overlap below 8)
//   len 9..16   w0 = first 8 bytes, w1 = last 8 bytes (they overlap below 16)
// then mixed with the seed-dependent bitflips and avalanched as XXH3 does.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "shardgate/record.hpp"

namespace shardgate::xxh3_detail {

// XXH3 reads its input little-endian; load64/load32 below read native order.
static_assert(std::endian::native == std::endian::little, "xxh3 kernels assume a little-endian host");

/// XXH3's secret samples for keys of 0..16 bytes, folded with one seed. The
/// reference recomputes these per key; a burst computes them once. Small
/// enough that a path copies it into registers.
struct short_consts {
    std::uint64_t seed;
    std::uint64_t bitflip_1to3;     ///< (readLE32(s) ^ readLE32(s+4)) + seed
    std::uint64_t bitflip_4to8;     ///< (readLE64(s+8) ^ readLE64(s+16)) - (seed ^ swap32(seed) << 32)
    std::uint64_t bitflip_9to16_lo; ///< (readLE64(s+24) ^ readLE64(s+32)) + seed
    std::uint64_t bitflip_9to16_hi; ///< (readLE64(s+40) ^ readLE64(s+48)) - seed
    std::uint64_t empty_hash;       ///< XXH3 of the empty key
};

/// XXH3_mix16B's secret words for 17..128 bytes, folded with one seed:
/// lo[k] = readLE64(s+16k) + seed, hi[k] = readLE64(s+16k+8) - seed.
struct mid_consts {
    std::uint64_t lo[8];
    std::uint64_t hi[8];
};

struct seeded_consts {
    short_consts s;
    mid_consts mid;
};

/// The constants for `seed` (kSecret, as XXH3_64bits_withSeed uses for ≤ 240 bytes).
[[nodiscard]] seeded_consts make_consts(std::uint64_t seed) noexcept;

/// XXH3_64bits_withSeed of any key, the inlined reference, out of line.
[[nodiscard]] std::uint64_t hash_reference(const std::byte* data, std::size_t length,
                                           std::uint64_t seed) noexcept;

inline constexpr std::uint64_t prime64_1 = 0x9E3779B185EBCA87ULL;
inline constexpr std::uint64_t prime64_2 = 0xC2B2AE3D27D4EB4FULL;
inline constexpr std::uint64_t prime64_3 = 0x165667B19E3779F9ULL;
inline constexpr std::uint64_t avalanche_mul = 0x165667919E3779F9ULL; ///< XXH3_avalanche
inline constexpr std::uint64_t rrmxmx_mul = 0x9FB21C651E98DF25ULL;    ///< XXH3_rrmxmx

[[nodiscard]] inline std::uint64_t load64(const std::byte* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8); // native = little-endian, see the static_assert above
    return v;
}
[[nodiscard]] inline std::uint32_t load32(const std::byte* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

/// XXH3_len_1to3_64b's packed word. Precondition: 1 ≤ len ≤ 3.
[[nodiscard]] inline std::uint32_t pack_1to3(const std::byte* p, std::uint32_t len) noexcept {
    const auto c1 = static_cast<std::uint32_t>(p[0]);
    const auto c2 = static_cast<std::uint32_t>(p[len >> 1]);
    const auto c3 = static_cast<std::uint32_t>(p[len - 1]);
    return c1 << 16 | c2 << 24 | c3 | len << 8;
}

[[nodiscard]] inline std::uint64_t xxh64_avalanche(std::uint64_t h) noexcept {
    h ^= h >> 33;
    h *= prime64_2;
    h ^= h >> 29;
    h *= prime64_3;
    h ^= h >> 32;
    return h;
}

[[nodiscard]] inline std::uint64_t xxh3_avalanche(std::uint64_t h) noexcept {
    h ^= h >> 37;
    h *= avalanche_mul;
    h ^= h >> 32;
    return h;
}

[[nodiscard]] inline std::uint64_t rotl64(std::uint64_t v, int r) noexcept { return v << r | v >> (64 - r); }

[[nodiscard]] inline std::uint64_t rrmxmx(std::uint64_t h, std::uint64_t len) noexcept {
    h ^= rotl64(h, 49) ^ rotl64(h, 24);
    h *= rrmxmx_mul;
    h ^= (h >> 35) + len;
    h *= rrmxmx_mul;
    return h ^ (h >> 28);
}

[[nodiscard]] inline std::uint64_t mul128_fold64(std::uint64_t a, std::uint64_t b) noexcept {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    // One mulq into rdx:rax. GCC 12 routes unsigned __int128 products through
    // the stack when several are live (store, reload, 4-5 cycles each).
    std::uint64_t lo, hi;
    __asm__("mulq %3" : "=a"(lo), "=d"(hi) : "%a"(a), "rm"(b) : "cc");
    return lo ^ hi;
#else
    const unsigned __int128 p = static_cast<unsigned __int128>(a) * b;
    return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
#endif
}

/// XXH3_len_4to8_64b's input word: first 4 bytes high, last 4 bytes low.
/// Precondition: 4 ≤ len ≤ 8.
[[nodiscard]] inline std::uint64_t word_4to8(const std::byte* p, std::uint32_t len) noexcept {
    return std::uint64_t{load32(p)} << 32 | load32(p + len - 4);
}

/// The 1..3 byte case from its packed word.
[[nodiscard]] inline std::uint64_t finish_1to3(std::uint32_t packed, const short_consts& c) noexcept {
    return xxh64_avalanche(std::uint64_t{packed} ^ c.bitflip_1to3);
}

/// The 4..8 byte case from the first and last 4 bytes.
[[nodiscard]] inline std::uint64_t finish_4to8(std::uint32_t first, std::uint32_t last, std::uint64_t len,
                                               const short_consts& c) noexcept {
    const std::uint64_t input64 = last + (std::uint64_t{first} << 32);
    return rrmxmx(input64 ^ c.bitflip_4to8, len);
}

/// The 9..16 byte case from the first and last 8 bytes.
[[nodiscard]] inline std::uint64_t finish_9to16(std::uint64_t first, std::uint64_t last, std::uint64_t len,
                                                const short_consts& c) noexcept {
    const std::uint64_t lo = first ^ c.bitflip_9to16_lo;
    const std::uint64_t hi = last ^ c.bitflip_9to16_hi;
    return xxh3_avalanche(len + __builtin_bswap64(lo) + hi + mul128_fold64(lo, hi));
}

/// XXH3 of a key of at most 16 bytes. Precondition: len ≤ 16.
[[nodiscard]] inline std::uint64_t hash_short(const std::byte* p, std::uint32_t len,
                                              const short_consts& c) noexcept {
    if (len > 8) return finish_9to16(load64(p), load64(p + len - 8), len, c);
    if (len >= 4) return finish_4to8(load32(p), load32(p + len - 4), len, c);
    if (len) return finish_1to3(pack_1to3(p, len), c);
    return c.empty_hash;
}

/// XXH3_mix16B with pre-keyed secret words.
[[nodiscard]] inline std::uint64_t mix16(const std::byte* p, int k, const mid_consts& m) noexcept {
    return mul128_fold64(load64(p) ^ m.lo[k], load64(p + 8) ^ m.hi[k]);
}

/// XXH3_len_17to128_64b for a length whose number of 16-byte pairs is known:
/// Pairs = 1 for 17..32 bytes, 2 for 33..64, 3 for 65..96, 4 for 97..128.
template <int Pairs>
[[nodiscard]] inline std::uint64_t hash_mid(const std::byte* p, std::uint32_t len,
                                            const mid_consts& c) noexcept {
    std::uint64_t acc = len * prime64_1;
    if constexpr (Pairs >= 4) acc += mix16(p + 48, 6, c) + mix16(p + len - 64, 7, c);
    if constexpr (Pairs >= 3) acc += mix16(p + 32, 4, c) + mix16(p + len - 48, 5, c);
    if constexpr (Pairs >= 2) acc += mix16(p + 16, 2, c) + mix16(p + len - 32, 3, c);
    acc += mix16(p, 0, c) + mix16(p + len - 16, 1, c);
    return xxh3_avalanche(acc);
}

/// hash_mid's Pairs - 1 for 17 ≤ len ≤ 128.
[[nodiscard]] inline std::uint32_t mid_class(std::uint32_t len) noexcept { return (len - 1) >> 5; }

/// XXH3 of a key longer than 16 bytes, out of line (the SIMD paths' lanes
/// longer than 16 bytes).
[[nodiscard]] std::uint64_t hash_long(const std::byte* p, std::uint32_t len, const seeded_consts& c) noexcept;

/// The portable interleaved path (xxh3_burst.cpp), also the SIMD paths'
/// fallback for groups of keys longer than 16 bytes and for a burst's last
/// few keys.
void burst_interleaved(const key_ref* keys, std::size_t n, const seeded_consts& c,
                       std::uint64_t* out) noexcept;

// The SIMD paths (xxh3_avx2.cpp, xxh3_avx512.cpp), compiled for their ISA with
// function target attributes so the rest of the build keeps the baseline ISA.
// Callers check CPU support first. out[i] = XXH3(keys[i]) for i < n.
void burst_avx2(const key_ref* keys, std::size_t n, const seeded_consts& c, std::uint64_t* out) noexcept;
void burst_avx512(const key_ref* keys, std::size_t n, const seeded_consts& c, std::uint64_t* out) noexcept;
/// out[i] = XXH3 of records[i]'s NUL-padded str field at `offset`, trimmed
/// (`field_bytes` ≤ 16, 16 bytes readable at the field).
void fields_avx512(const record_view* records, std::size_t n, std::uint32_t offset, std::uint32_t field_bytes,
                   const seeded_consts& c, std::uint64_t* out) noexcept;

/// out[i] = ((hashes[i] & mask) · partitions) >> group_bits (partition_burst):
/// eight hashes per vector, four with AVX2. mask < 2^24 and partitions < 2^16,
/// so one 32 x 32 -> 64-bit multiply per hash is exact.
void partitions_avx512(const std::uint64_t* hashes, std::size_t n, std::uint32_t mask,
                       std::uint32_t partitions, std::uint32_t group_bits, std::uint32_t* out) noexcept;
void partitions_avx2(const std::uint64_t* hashes, std::size_t n, std::uint32_t mask, std::uint32_t partitions,
                     std::uint32_t group_bits, std::uint32_t* out) noexcept;

} // namespace shardgate::xxh3_detail
