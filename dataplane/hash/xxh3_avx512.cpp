// The AVX-512 path of xxh3_burst: eight keys per 512-bit vector, one 64-bit
// lane per key.
//
// Every function here carries a target attribute instead of the file being
// compiled with -mavx512*: inline functions from headers stay baseline code,
// so the linker can never pick an AVX-512 copy for callers on older CPUs.
// The dispatcher (xxh3_burst.cpp) calls burst_avx512 only after checking the
// CPU.
//
// Per group of eight keys: two loads bring the eight {pointer, length} pairs
// in, two permutes split them into a pointer and a length vector, compares
// sort the lanes into XXH3's length classes, and each class present in the
// group is computed for all lanes and merged under its mask:
//   9..16 bytes  masked 64-bit gathers of the first and last 8 bytes; the
//                64x64→128 multiply is built from four 32x32→64 products
//                (vpmuludq) since AVX-512 has no 64-bit high multiply
//   4..8 bytes   masked 32-bit gathers of the first and last 4 bytes
//   1..3 bytes   three bytes packed per lane with scalar loads (no byte
//                gather exists), mixed in the vector
//   0 bytes      a per-seed constant
//   > 16 bytes   the scalar reference, lane by lane, after the vector store
// GCC 12's AVX-512 intrinsics self-initialise an undefined vector
// (_mm512_undefined_epi32) and trip -Wmaybe-uninitialized once inlined (GCC
// bug 105593, fixed in GCC 13). The pragma has to precede the header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstddef>

#include "dataplane/hash/xxh3_short.hpp"

#define SG_AVX512_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
#define SG_AVX512_INLINE SG_AVX512_TARGET __attribute__((always_inline)) inline

namespace shardgate::xxh3_detail {
namespace {

SG_AVX512_INLINE __m512i set1(std::uint64_t v) { return _mm512_set1_epi64(static_cast<long long>(v)); }

template <int S>
SG_AVX512_INLINE __m512i xorshift(__m512i v) {
    return _mm512_xor_si512(v, _mm512_srli_epi64(v, S));
}

/// Low 64 bits of a·b per lane (vpmullq).
SG_AVX512_INLINE __m512i mul_lo(__m512i a, __m512i b) { return _mm512_mullo_epi64(a, b); }

/// XXH3_mul128_fold64 per lane: low ^ high half of the 128-bit product, from
/// four 32x32→64 products as XXH_mult64to128's portable branch does.
SG_AVX512_INLINE __m512i mul128_fold64(__m512i a, __m512i b) {
    const __m512i lo32 = set1(0xFFFFFFFFu);
    const __m512i a_hi = _mm512_srli_epi64(a, 32);
    const __m512i b_hi = _mm512_srli_epi64(b, 32);
    const __m512i ll = _mm512_mul_epu32(a, b);
    const __m512i hl = _mm512_mul_epu32(a_hi, b);
    const __m512i lh = _mm512_mul_epu32(a, b_hi);
    const __m512i hh = _mm512_mul_epu32(a_hi, b_hi);
    // Cannot overflow: (2^32-1) + (2^32-1) + (2^32-1)^2 = 2^64-1.
    const __m512i cross =
        _mm512_add_epi64(_mm512_add_epi64(_mm512_srli_epi64(ll, 32), _mm512_and_si512(hl, lo32)), lh);
    const __m512i upper =
        _mm512_add_epi64(_mm512_add_epi64(_mm512_srli_epi64(hl, 32), _mm512_srli_epi64(cross, 32)), hh);
    // lower = cross << 32 | (ll & 0xFFFFFFFF): take the odd 32-bit halves from cross << 32.
    const __m512i lower = _mm512_mask_blend_epi32(0xAAAA, ll, _mm512_slli_epi64(cross, 32));
    return _mm512_xor_si512(lower, upper);
}

SG_AVX512_INLINE __m512i bswap64(__m512i v) {
    const __m512i idx = _mm512_set_epi8(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, //
                                        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, //
                                        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, //
                                        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    return _mm512_shuffle_epi8(v, idx);
}

SG_AVX512_INLINE __m512i xxh64_avalanche(__m512i h) {
    h = xorshift<33>(h);
    h = mul_lo(h, set1(prime64_2));
    h = xorshift<29>(h);
    h = mul_lo(h, set1(prime64_3));
    return xorshift<32>(h);
}

SG_AVX512_INLINE __m512i xxh3_avalanche(__m512i h) {
    h = xorshift<37>(h);
    h = mul_lo(h, set1(avalanche_mul));
    return xorshift<32>(h);
}

SG_AVX512_INLINE __m512i rrmxmx(__m512i h, __m512i len) {
    // h ^= rotl(h, 49) ^ rotl(h, 24): one three-way xor (truth table 0x96).
    h = _mm512_ternarylogic_epi64(h, _mm512_rol_epi64(h, 49), _mm512_rol_epi64(h, 24), 0x96);
    h = mul_lo(h, set1(rrmxmx_mul));
    h = _mm512_xor_si512(h, _mm512_add_epi64(_mm512_srli_epi64(h, 35), len));
    h = mul_lo(h, set1(rrmxmx_mul));
    return xorshift<28>(h);
}

SG_AVX512_INLINE __m512i finish_9to16(__m512i first, __m512i last, __m512i len, const short_consts& c) {
    const __m512i lo = _mm512_xor_si512(first, set1(c.bitflip_9to16_lo));
    const __m512i hi = _mm512_xor_si512(last, set1(c.bitflip_9to16_hi));
    const __m512i acc = _mm512_add_epi64(_mm512_add_epi64(len, bswap64(lo)),
                                         _mm512_add_epi64(hi, mul128_fold64(lo, hi)));
    return xxh3_avalanche(acc);
}

SG_AVX512_INLINE __m512i finish_4to8(__m256i first, __m256i last, __m512i len, const short_consts& c) {
    const __m512i input64 =
        _mm512_or_si512(_mm512_slli_epi64(_mm512_cvtepu32_epi64(first), 32), _mm512_cvtepu32_epi64(last));
    return rrmxmx(_mm512_xor_si512(input64, set1(c.bitflip_4to8)), len);
}

/// Keys [0, count), 1 ≤ count ≤ 8; lanes beyond count are never read or written.
SG_AVX512_INLINE void hash8(const key_ref* keys, unsigned count, const short_consts& c, std::uint64_t* out) {
    // key_ref is {pointer, 32-bit length, 4 bytes padding}: qwords 0,2,4,6
    // of the pair of loads are pointers, 1,3,5,7 lengths. Masked loads do not
    // touch memory past the burst.
    static_assert(sizeof(key_ref) == 16 && offsetof(key_ref, length) == 8);
    const __mmask8 live = static_cast<__mmask8>(count >= 8 ? 0xFF : (1u << count) - 1);
    const __mmask8 load0 = static_cast<__mmask8>(count >= 4 ? 0xFF : (1u << (2 * count)) - 1);
    const __mmask8 load1 = static_cast<__mmask8>(count >= 8 ? 0xFF : count > 4 ? (1u << (2 * (count - 4))) - 1 : 0);
    const __m512i kr0 = _mm512_maskz_loadu_epi64(load0, keys);
    const __m512i kr1 = _mm512_maskz_loadu_epi64(load1, keys + 4);
    const __m512i ptr = _mm512_permutex2var_epi64(kr0, _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0), kr1);
    const __m512i len = _mm512_and_si512(_mm512_permutex2var_epi64(kr0, _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1), kr1),
                                         set1(0xFFFFFFFFu));

    const __mmask8 m_9to16 = _mm512_mask_cmple_epu64_mask(live, _mm512_sub_epi64(len, set1(9)), set1(7));
    const __mmask8 m_4to8 = _mm512_mask_cmple_epu64_mask(live, _mm512_sub_epi64(len, set1(4)), set1(4));
    const __mmask8 m_1to3 = _mm512_mask_cmple_epu64_mask(live, _mm512_sub_epi64(len, set1(1)), set1(2));
    const __mmask8 m_long = _mm512_mask_cmpgt_epu64_mask(live, len, set1(16));

    __m512i h = set1(c.empty_hash);
    if (m_9to16) {
        const __m512i first = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), m_9to16, ptr, nullptr, 1);
        const __m512i last = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), m_9to16,
                                                         _mm512_add_epi64(ptr, _mm512_sub_epi64(len, set1(8))), nullptr, 1);
        h = _mm512_mask_mov_epi64(h, m_9to16, finish_9to16(first, last, len, c));
    }
    if (m_4to8) {
        const __m256i first = _mm512_mask_i64gather_epi32(_mm256_setzero_si256(), m_4to8, ptr, nullptr, 1);
        const __m256i last = _mm512_mask_i64gather_epi32(_mm256_setzero_si256(), m_4to8,
                                                         _mm512_add_epi64(ptr, _mm512_sub_epi64(len, set1(4))), nullptr, 1);
        h = _mm512_mask_mov_epi64(h, m_4to8, finish_4to8(first, last, len, c));
    }
    if (m_1to3) {
        alignas(64) std::uint64_t packed[8] = {};
        for (unsigned m = m_1to3; m; m &= m - 1) {
            const unsigned j = static_cast<unsigned>(__builtin_ctz(m));
            packed[j] = pack_1to3(keys[j].data, keys[j].length);
        }
        const __m512i keyed = _mm512_xor_si512(_mm512_load_si512(packed), set1(c.bitflip_1to3));
        h = _mm512_mask_mov_epi64(h, m_1to3, xxh64_avalanche(keyed));
    }
    _mm512_mask_storeu_epi64(out, live, h);
    for (unsigned m = m_long; m; m &= m - 1) {
        const unsigned j = static_cast<unsigned>(__builtin_ctz(m));
        out[j] = hash_reference(keys[j].data, keys[j].length, c.seed);
    }
}

} // namespace

SG_AVX512_TARGET void burst_avx512(const key_ref* keys, std::size_t n, const short_consts& c,
                                   std::uint64_t* out) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) hash8(keys + i, 8, c, out + i);
    if (i < n) hash8(keys + i, static_cast<unsigned>(n - i), c, out + i);
}

} // namespace shardgate::xxh3_detail
