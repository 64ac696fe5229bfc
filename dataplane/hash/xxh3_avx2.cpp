// The AVX2 path of xxh3_burst: four keys per 256-bit vector, one 64-bit lane
// per key. Same structure as the AVX-512 path (xxh3_avx512.cpp), with what
// AVX2 lacks built from what it has: 64-bit multiplies from three 32x32→64
// products, rotates from two shifts, masks as vectors.
//
// Every function carries a target attribute instead of the file being
// compiled with -mavx2, so inline functions from headers stay baseline code;
// the dispatcher calls burst_avx2 only after checking the CPU.
#include <immintrin.h>

#include <cstddef>

#include "dataplane/hash/xxh3_kernels.hpp"

#define SG_AVX2_TARGET __attribute__((target("avx2")))
#define SG_AVX2_INLINE SG_AVX2_TARGET __attribute__((always_inline)) inline

namespace shardgate::xxh3_detail {
namespace {

SG_AVX2_INLINE __m256i set1(std::uint64_t v) { return _mm256_set1_epi64x(static_cast<long long>(v)); }

template <int S>
SG_AVX2_INLINE __m256i xorshift(__m256i v) {
    return _mm256_xor_si256(v, _mm256_srli_epi64(v, S));
}

template <int R>
SG_AVX2_INLINE __m256i rotl(__m256i v) {
    return _mm256_or_si256(_mm256_slli_epi64(v, R), _mm256_srli_epi64(v, 64 - R));
}

/// Low 64 bits of a·k per lane for a constant k: a·k mod 2^64 =
/// a_lo·k_lo + ((a_hi·k_lo + a_lo·k_hi) << 32).
template <std::uint64_t K>
SG_AVX2_INLINE __m256i mul_lo_const(__m256i a) {
    const __m256i k = set1(K);
    const __m256i k_hi = set1(K >> 32);
    const __m256i ll = _mm256_mul_epu32(a, k);
    const __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), k), _mm256_mul_epu32(a, k_hi));
    return _mm256_add_epi64(ll, _mm256_slli_epi64(cross, 32));
}

/// XXH3_mul128_fold64 per lane from four 32x32→64 products.
SG_AVX2_INLINE __m256i mul128_fold64(__m256i a, __m256i b) {
    const __m256i lo32 = set1(0xFFFFFFFFu);
    const __m256i a_hi = _mm256_srli_epi64(a, 32);
    const __m256i b_hi = _mm256_srli_epi64(b, 32);
    const __m256i ll = _mm256_mul_epu32(a, b);
    const __m256i hl = _mm256_mul_epu32(a_hi, b);
    const __m256i lh = _mm256_mul_epu32(a, b_hi);
    const __m256i hh = _mm256_mul_epu32(a_hi, b_hi);
    // Cannot overflow: (2^32-1) + (2^32-1) + (2^32-1)^2 = 2^64-1.
    const __m256i cross =
        _mm256_add_epi64(_mm256_add_epi64(_mm256_srli_epi64(ll, 32), _mm256_and_si256(hl, lo32)), lh);
    const __m256i upper =
        _mm256_add_epi64(_mm256_add_epi64(_mm256_srli_epi64(hl, 32), _mm256_srli_epi64(cross, 32)), hh);
    // lower = cross << 32 | (ll & 0xFFFFFFFF): odd 32-bit halves from cross << 32.
    const __m256i lower = _mm256_blend_epi32(ll, _mm256_slli_epi64(cross, 32), 0xAA);
    return _mm256_xor_si256(lower, upper);
}

SG_AVX2_INLINE __m256i bswap64(__m256i v) {
    const __m256i idx = _mm256_set_epi8(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, //
                                        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_shuffle_epi8(v, idx);
}

SG_AVX2_INLINE __m256i xxh64_avalanche(__m256i h) {
    h = xorshift<33>(h);
    h = mul_lo_const<prime64_2>(h);
    h = xorshift<29>(h);
    h = mul_lo_const<prime64_3>(h);
    return xorshift<32>(h);
}

SG_AVX2_INLINE __m256i xxh3_avalanche(__m256i h) {
    h = xorshift<37>(h);
    h = mul_lo_const<avalanche_mul>(h);
    return xorshift<32>(h);
}

SG_AVX2_INLINE __m256i rrmxmx(__m256i h, __m256i len) {
    h = _mm256_xor_si256(h, _mm256_xor_si256(rotl<49>(h), rotl<24>(h)));
    h = mul_lo_const<rrmxmx_mul>(h);
    h = _mm256_xor_si256(h, _mm256_add_epi64(_mm256_srli_epi64(h, 35), len));
    h = mul_lo_const<rrmxmx_mul>(h);
    return xorshift<28>(h);
}

/// Lanes with lo ≤ len ≤ hi, as an all-ones/all-zeros mask per lane (lengths
/// are below 2^32, so signed 64-bit compares are exact).
SG_AVX2_INLINE __m256i in_range(__m256i len, long long lo, long long hi) {
    return _mm256_andnot_si256(_mm256_cmpgt_epi64(set1(static_cast<std::uint64_t>(lo)), len),
                               _mm256_cmpgt_epi64(set1(static_cast<std::uint64_t>(hi + 1)), len));
}

SG_AVX2_INLINE bool all(__m256i mask) { return _mm256_movemask_pd(_mm256_castsi256_pd(mask)) == 0xF; }
SG_AVX2_INLINE bool any(__m256i mask) { return !_mm256_testz_si256(mask, mask); }

/// The lengths of four keys, one per 64-bit lane. key_ref is {pointer,
/// 32-bit length, 4 bytes padding}: a = {p0,l0,p1,l1}, b = {p2,l2,p3,l3};
/// unpackhi gives {l0,l2,l1,l3}, the permute restores the order.
SG_AVX2_INLINE __m256i lengths4(const key_ref* keys) {
    static_assert(sizeof(key_ref) == 16 && offsetof(key_ref, length) == 8);
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(keys));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(keys + 2));
    return _mm256_and_si256(_mm256_permute4x64_epi64(_mm256_unpackhi_epi64(a, b), 0xD8), set1(0xFFFFFFFFu));
}

SG_AVX2_INLINE __m256i from_lanes(std::uint64_t w0, std::uint64_t w1, std::uint64_t w2, std::uint64_t w3) {
    return _mm256_set_epi64x(static_cast<long long>(w3), static_cast<long long>(w2), static_cast<long long>(w1),
                             static_cast<long long>(w0));
}

SG_AVX2_INLINE __m256i finish_9to16(__m256i first, __m256i last, __m256i len, const short_consts& c) {
    const __m256i lo = _mm256_xor_si256(first, set1(c.bitflip_9to16_lo));
    const __m256i hi = _mm256_xor_si256(last, set1(c.bitflip_9to16_hi));
    const __m256i acc = _mm256_add_epi64(_mm256_add_epi64(len, bswap64(lo)),
                                         _mm256_add_epi64(hi, mul128_fold64(lo, hi)));
    return xxh3_avalanche(acc);
}

/// XXH3_len_4to8_64b's input word: first 4 bytes high, last 4 bytes low.
inline std::uint64_t word_4to8(const std::byte* p, std::uint32_t len) noexcept {
    return std::uint64_t{load32(p)} << 32 | load32(p + len - 4);
}

struct lane_words {
    std::uint64_t first, last;
};

/// The words a key of at most 16 bytes reduces to (xxh3_kernels.hpp); zero
/// for the empty key and keys longer than 16 bytes.
inline lane_words lane(const key_ref& k) noexcept {
    const std::byte* p = k.data;
    const std::uint32_t l = k.length;
    if (l - 9u <= 7u) return {load64(p), load64(p + l - 8)};
    if (l - 4u <= 4u) return {word_4to8(p, l), 0};
    if (l - 1u <= 2u) return {pack_1to3(p, l), 0};
    return {0, 0};
}

/// Four keys of mixed length classes: each lane loads what its class needs,
/// every class present is computed for all lanes and merged under its mask.
/// Out of line, so the uniform loop below keeps its registers.
SG_AVX2_TARGET __attribute__((noinline)) void hash4_mixed(const key_ref* keys, const seeded_consts& consts,
                                                          std::uint64_t* out) {
    const short_consts c = consts.s;
    const __m256i len = lengths4(keys);
    const __m256i m_9to16 = in_range(len, 9, 16);
    const __m256i m_4to8 = in_range(len, 4, 8);
    const __m256i m_1to3 = in_range(len, 1, 3);
    const lane_words l0 = lane(keys[0]), l1 = lane(keys[1]), l2 = lane(keys[2]), l3 = lane(keys[3]);
    const __m256i first = from_lanes(l0.first, l1.first, l2.first, l3.first);
    __m256i h = set1(c.empty_hash);
    if (any(m_9to16))
        h = _mm256_blendv_epi8(h, finish_9to16(first, from_lanes(l0.last, l1.last, l2.last, l3.last), len, c), m_9to16);
    if (any(m_4to8)) h = _mm256_blendv_epi8(h, rrmxmx(_mm256_xor_si256(first, set1(c.bitflip_4to8)), len), m_4to8);
    if (any(m_1to3)) h = _mm256_blendv_epi8(h, xxh64_avalanche(_mm256_xor_si256(first, set1(c.bitflip_1to3))), m_1to3);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), h);
    for (int j = 0; j < 4; ++j)
        if (keys[j].length > 16) out[j] = hash_long(keys[j].data, keys[j].length, consts);
}

} // namespace

SG_AVX2_TARGET void burst_avx2(const key_ref* keys, std::size_t n, const seeded_consts& consts,
                               std::uint64_t* out) noexcept {
    const short_consts c = consts.s; // stores to out[] cannot alias a local copy
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const key_ref* k = keys + i;
        const __m256i len = lengths4(k);
        // One length class across all four lanes (fixed-width keys): loads
        // with no per-lane branch, one class computed.
        if (all(in_range(len, 4, 8))) {
            const __m256i w = from_lanes(word_4to8(k[0].data, k[0].length), word_4to8(k[1].data, k[1].length),
                                         word_4to8(k[2].data, k[2].length), word_4to8(k[3].data, k[3].length));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                                rrmxmx(_mm256_xor_si256(w, set1(c.bitflip_4to8)), len));
        } else if (all(in_range(len, 9, 16))) {
            const __m256i first = from_lanes(load64(k[0].data), load64(k[1].data), load64(k[2].data), load64(k[3].data));
            const __m256i last = from_lanes(load64(k[0].data + k[0].length - 8), load64(k[1].data + k[1].length - 8),
                                            load64(k[2].data + k[2].length - 8), load64(k[3].data + k[3].length - 8));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), finish_9to16(first, last, len, c));
        } else if (all(_mm256_cmpgt_epi64(len, set1(16)))) {
            // Longer keys: the interleaved path takes the whole run at once.
            std::size_t end = i + 4;
            while (end + 4 <= n && all(_mm256_cmpgt_epi64(lengths4(keys + end), set1(16)))) end += 4;
            burst_interleaved(k, end - i, consts, out + i);
            i = end - 4;
        } else {
            hash4_mixed(k, consts, out + i);
        }
    }
    if (i < n) burst_interleaved(keys + i, n - i, consts, out + i); // the tail, < 4 keys
}

} // namespace shardgate::xxh3_detail
