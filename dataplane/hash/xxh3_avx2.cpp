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

#include "dataplane/hash/xxh3_short.hpp"

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

/// Four keys.
SG_AVX2_INLINE void hash4(const key_ref* keys, const short_consts& c, std::uint64_t* out) {
    // key_ref is {pointer, 32-bit length, 4 bytes padding}: a = {p0,l0,p1,l1},
    // b = {p2,l2,p3,l3}; unpack gives {p0,p2,p1,p3}, the permute restores order.
    static_assert(sizeof(key_ref) == 16 && offsetof(key_ref, length) == 8);
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(keys));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(keys + 2));
    const __m256i ptr = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(a, b), 0xD8);
    const __m256i len = _mm256_and_si256(_mm256_permute4x64_epi64(_mm256_unpackhi_epi64(a, b), 0xD8),
                                         set1(0xFFFFFFFFu));
    const auto* base = static_cast<const long long*>(nullptr);

    const __m256i m_9to16 = in_range(len, 9, 16);
    const __m256i m_4to8 = in_range(len, 4, 8);
    const __m256i m_1to3 = in_range(len, 1, 3);
    const int long_bits = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(len, set1(16))));

    __m256i h = set1(c.empty_hash);
    if (!_mm256_testz_si256(m_9to16, m_9to16)) {
        const __m256i first = _mm256_mask_i64gather_epi64(_mm256_setzero_si256(), base, ptr, m_9to16, 1);
        const __m256i last = _mm256_mask_i64gather_epi64(
            _mm256_setzero_si256(), base, _mm256_add_epi64(ptr, _mm256_sub_epi64(len, set1(8))), m_9to16, 1);
        const __m256i lo = _mm256_xor_si256(first, set1(c.bitflip_9to16_lo));
        const __m256i hi = _mm256_xor_si256(last, set1(c.bitflip_9to16_hi));
        const __m256i acc = _mm256_add_epi64(_mm256_add_epi64(len, bswap64(lo)),
                                             _mm256_add_epi64(hi, mul128_fold64(lo, hi)));
        h = _mm256_blendv_epi8(h, xxh3_avalanche(acc), m_9to16);
    }
    if (!_mm256_testz_si256(m_4to8, m_4to8)) {
        // 32-bit gathers with 64-bit addresses take the low half of each lane mask.
        const __m128i m32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(m_4to8, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
        const auto* base32 = static_cast<const int*>(nullptr);
        const __m128i first = _mm256_mask_i64gather_epi32(_mm_setzero_si128(), base32, ptr, m32, 1);
        const __m128i last = _mm256_mask_i64gather_epi32(
            _mm_setzero_si128(), base32, _mm256_add_epi64(ptr, _mm256_sub_epi64(len, set1(4))), m32, 1);
        const __m256i input64 = _mm256_or_si256(_mm256_slli_epi64(_mm256_cvtepu32_epi64(first), 32),
                                                _mm256_cvtepu32_epi64(last));
        h = _mm256_blendv_epi8(h, rrmxmx(_mm256_xor_si256(input64, set1(c.bitflip_4to8)), len), m_4to8);
    }
    if (!_mm256_testz_si256(m_1to3, m_1to3)) {
        // No byte gather: pack the three bytes per lane with scalar loads.
        alignas(32) std::uint64_t packed[4] = {};
        for (unsigned j = 0; j < 4; ++j)
            if (keys[j].length - 1u <= 2u) packed[j] = pack_1to3(keys[j].data, keys[j].length);
        const __m256i keyed =
            _mm256_xor_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(packed)), set1(c.bitflip_1to3));
        h = _mm256_blendv_epi8(h, xxh64_avalanche(keyed), m_1to3);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), h);
    for (unsigned m = static_cast<unsigned>(long_bits); m; m &= m - 1) {
        const unsigned j = static_cast<unsigned>(__builtin_ctz(m));
        out[j] = hash_reference(keys[j].data, keys[j].length, c.seed);
    }
}

} // namespace

SG_AVX2_TARGET void burst_avx2(const key_ref* keys, std::size_t n, const short_consts& c,
                               std::uint64_t* out) noexcept {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) hash4(keys + i, c, out + i);
    for (; i < n; ++i)
        out[i] = keys[i].length <= 16 ? hash_short(keys[i].data, keys[i].length, c)
                                      : hash_reference(keys[i].data, keys[i].length, c.seed);
}

} // namespace shardgate::xxh3_detail
