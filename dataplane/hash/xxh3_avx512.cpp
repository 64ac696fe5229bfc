// The AVX-512 path of xxh3_burst: eight keys per 512-bit vector, one 64-bit
// lane per key.
//
// Every function here carries a target attribute instead of the file being
// compiled with -mavx512*: inline functions from headers stay baseline code,
// so the linker can never pick an AVX-512 copy for callers on older CPUs.
// The dispatcher (xxh3_burst.cpp) calls burst_avx512 only after checking the
// CPU.
//
// The burst is walked eight keys at a time. Two loads and a permute give the
// eight lengths as a vector; compares sort them into XXH3's length classes.
//   - Runs of groups whose eight keys share a class (fixed-width keys, the
//     common case) go to a tight loop per class: per-lane scalar loads of the
//     words the class needs, assembled into vectors, then XXH3's arithmetic on
//     eight keys at once. Classes: 4..8 bytes (first and last 4 bytes,
//     rrmxmx), 9..16 (first and last 8 bytes; the 64x64→128 multiply is
//     built from four 32x32→64 products, vpmuludq, as AVX-512 has no 64-bit
//     high multiply), and 17..32, 33..64, 65..96, 97..128 (one 16-byte load
//     per lane per XXH3_mix16B, transposed into vectors).
//   - Groups that mix classes are sorted by class branch-free (vpcompressd
//     into per-class index lists); each class is then hashed eight at a time
//     the same way and scattered back. Empty keys take a per-seed constant.
//   - Longer runs of mixed sizes above 16 bytes, keys over 128 bytes and the
//     last < 8 keys go to the interleaved path.
// Per-lane scalar loads beat gathers here: vpgatherqq measured about twice as
// slow for the 4..16 byte classes, and masked loads slower still.
//
// xxh3_burst_fields (keys that are a NUL-padded str field of at most 16 bytes
// in each record) has a path of its own, hash_fields: one 16-byte load per
// field, the length from vplzcntq (hence CD), and every class present in the
// eight lanes computed from the two words and blended, with no sorting.
//
// GCC 12's AVX-512 intrinsics self-initialise an undefined vector
// (_mm512_undefined_epi32) and trip -Wmaybe-uninitialized once inlined (GCC
// bug 105593, fixed in GCC 13). The pragma has to precede the header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstddef>

#include "dataplane/hash/xxh3_kernels.hpp"
#include "dataplane/keys/padded_str.hpp"

#define SG_AVX512_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx512cd")))
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
    const __m512i acc =
        _mm512_add_epi64(_mm512_add_epi64(len, bswap64(lo)), _mm512_add_epi64(hi, mul128_fold64(lo, hi)));
    return xxh3_avalanche(acc);
}

SG_AVX512_INLINE __m512i from_lanes(const std::uint64_t (&w)[8]) {
    return _mm512_set_epi64(static_cast<long long>(w[7]), static_cast<long long>(w[6]),
                            static_cast<long long>(w[5]), static_cast<long long>(w[4]),
                            static_cast<long long>(w[3]), static_cast<long long>(w[2]),
                            static_cast<long long>(w[1]), static_cast<long long>(w[0]));
}

/// The lengths of eight keys, one per 64-bit lane. key_ref is {pointer,
/// 32-bit length, 4 bytes padding}: qwords 1,3,5,7 of the pair of loads.
SG_AVX512_INLINE __m512i lengths8(const key_ref* keys) {
    static_assert(sizeof(key_ref) == 16 && offsetof(key_ref, length) == 8);
    const __m512i kr0 = _mm512_loadu_si512(keys);
    const __m512i kr1 = _mm512_loadu_si512(keys + 4);
    return _mm512_and_si512(_mm512_permutex2var_epi64(kr0, _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1), kr1),
                            set1(0xFFFFFFFFu));
}

/// Lanes whose length is in [lo, hi]: one subtract, one unsigned compare.
SG_AVX512_INLINE __mmask8 in_range(__m512i len, std::uint64_t lo, std::uint64_t hi) {
    return _mm512_cmple_epu64_mask(_mm512_sub_epi64(len, set1(lo)), set1(hi - lo));
}

/// Keys of groups that mix length classes, sorted by class (indices into the
/// chunk), so each class is then hashed eight at a time with no per-key
/// branch. Sorting is branch-free (vpcompressd), which matters: when lengths
/// vary unpredictably, per-key class branches mispredict about every other
/// key and cost more than the hashing.
constexpr std::size_t chunk = 256;
struct class_lists {
    // +8: a compress stores eight entries whatever the count (unaligned
    // stores, so no alignment is needed).
    std::uint32_t k9to16[chunk + 8];
    std::uint32_t k4to8[chunk + 8];
    std::uint32_t k1to3[chunk + 8];
    std::uint32_t n9to16 = 0, n4to8 = 0, n1to3 = 0;
};

SG_AVX512_INLINE void append(std::uint32_t* list, std::uint32_t& count, __mmask8 m, __m256i ids) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(list + count), _mm256_maskz_compress_epi32(m, ids));
    count += static_cast<std::uint32_t>(__builtin_popcount(m));
}

/// out[ix[j]] = lane j of h.
SG_AVX512_INLINE void scatter8(std::uint64_t* out, const std::uint32_t* ix, __m512i h) {
    alignas(64) std::uint64_t t[8]; // one aligned 64-byte store, read back lane by lane
    _mm512_store_si512(t, h);
    for (int j = 0; j < 8; ++j) out[ix[j]] = t[j];
}

/// Hashes the listed keys of one class: eight at a time in the vector, the
/// last few (< 8) key by key (their class branch is now predictable).
template <int Class>
SG_AVX512_INLINE void hash_list(const key_ref* keys, const std::uint32_t* list, std::uint32_t count,
                                const short_consts& c, std::uint64_t* out) {
    std::uint32_t t = 0;
    for (; t + 8 <= count; t += 8) {
        const std::uint32_t* ix = list + t;
        std::uint64_t w0[8], w1[8], l[8];
        for (int j = 0; j < 8; ++j) {
            const key_ref& k = keys[ix[j]];
            l[j] = k.length;
            if constexpr (Class == 16) {
                w0[j] = load64(k.data);
                w1[j] = load64(k.data + k.length - 8);
            } else if constexpr (Class == 8) {
                w0[j] = word_4to8(k.data, k.length);
            } else {
                w0[j] = pack_1to3(k.data, k.length);
            }
        }
        __m512i h;
        if constexpr (Class == 16)
            h = finish_9to16(from_lanes(w0), from_lanes(w1), from_lanes(l), c);
        else if constexpr (Class == 8)
            h = rrmxmx(_mm512_xor_si512(from_lanes(w0), set1(c.bitflip_4to8)), from_lanes(l));
        else
            h = xxh64_avalanche(_mm512_xor_si512(from_lanes(w0), set1(c.bitflip_1to3)));
        scatter8(out, ix, h);
    }
    for (; t < count; ++t) out[list[t]] = hash_short(keys[list[t]].data, keys[list[t]].length, c);
}

/// Hashes consecutive groups of eight keys while all eight lengths are in
/// one class (fixed-width keys): loads with no per-lane branch, one class
/// computed, results in place. Returns where the run ended. Out of line with
/// its own registers, so the loop is tight.
template <int Class>
SG_AVX512_TARGET __attribute__((noinline)) std::size_t run_uniform(const key_ref* keys, std::size_t i,
                                                                   std::size_t n, const short_consts& consts,
                                                                   std::uint64_t* out) {
    const short_consts c = consts; // stores to out[] cannot alias a local copy
    for (; i + 8 <= n; i += 8) {
        const key_ref* k = keys + i;
        const __m512i len = lengths8(k);
        std::uint64_t w0[8], w1[8];
        if constexpr (Class == 8) {
            if (in_range(len, 4, 8) != 0xFF) break;
            for (unsigned j = 0; j < 8; ++j) w0[j] = word_4to8(k[j].data, k[j].length);
            _mm512_storeu_si512(out + i, rrmxmx(_mm512_xor_si512(from_lanes(w0), set1(c.bitflip_4to8)), len));
        } else {
            if (in_range(len, 9, 16) != 0xFF) break;
            for (unsigned j = 0; j < 8; ++j) {
                w0[j] = load64(k[j].data);
                w1[j] = load64(k[j].data + k[j].length - 8);
            }
            _mm512_storeu_si512(out + i, finish_9to16(from_lanes(w0), from_lanes(w1), len, c));
        }
    }
    return i;
}

/// Sixteen bytes at each of eight addresses as two vectors: lo = the first
/// eight bytes of each, hi = the second eight. One 16-byte load per lane and
/// eight shuffles (vs. sixteen scalar loads and twenty-two inserts).
SG_AVX512_INLINE __m256i load16x2(const std::byte* a, const std::byte* b) {
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)), 1);
}

SG_AVX512_INLINE void load16x8(const std::byte* const* p, __m512i& lo, __m512i& hi) {
    // z0 = k0lo k0hi k1lo k1hi k2lo k2hi k3lo k3hi, z1 the same for k4..k7.
    const __m512i z0 =
        _mm512_inserti64x4(_mm512_castsi256_si512(load16x2(p[0], p[1])), load16x2(p[2], p[3]), 1);
    const __m512i z1 =
        _mm512_inserti64x4(_mm512_castsi256_si512(load16x2(p[4], p[5])), load16x2(p[6], p[7]), 1);
    lo = _mm512_permutex2var_epi64(z0, _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0), z1);
    hi = _mm512_permutex2var_epi64(z0, _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1), z1);
}

/// XXH3_len_17to128_64b for runs of groups of eight keys with the same number
/// of 16-byte pairs (Pairs = 1 for 17..32 bytes, 2 for 33..64, 3 for 65..96,
/// 4 for 97..128): each XXH3_mix16B is one vector over the eight keys.
/// Returns where the run ended.
template <int Pairs>
SG_AVX512_TARGET __attribute__((noinline)) std::size_t
run_mid(const key_ref* keys, std::size_t i, std::size_t n, const mid_consts& m, std::uint64_t* out) {
    constexpr std::uint64_t lo_len = Pairs == 1 ? 17 : 32 * (Pairs - 1) + 1;
    constexpr std::uint64_t hi_len = 32 * Pairs;
    for (; i + 8 <= n; i += 8) {
        const key_ref* k = keys + i;
        const __m512i len = lengths8(k);
        if (in_range(len, lo_len, hi_len) != 0xFF) break;
        __m512i acc = mul_lo(len, set1(prime64_1));
        // Mix 2q reads 16 bytes at 16q, mix 2q+1 the 16 bytes ending 16q
        // before the end, each with its own secret words (XXH3_mix16B).
        for (int q = 0; q < Pairs; ++q) {
            const std::byte* front[8];
            const std::byte* back[8];
            for (int j = 0; j < 8; ++j) {
                front[j] = k[j].data + 16 * q;
                back[j] = k[j].data + k[j].length - 16 * (q + 1);
            }
            __m512i lo, hi;
            load16x8(front, lo, hi);
            acc = _mm512_add_epi64(acc, mul128_fold64(_mm512_xor_si512(lo, set1(m.lo[2 * q])),
                                                      _mm512_xor_si512(hi, set1(m.hi[2 * q]))));
            load16x8(back, lo, hi);
            acc = _mm512_add_epi64(acc, mul128_fold64(_mm512_xor_si512(lo, set1(m.lo[2 * q + 1])),
                                                      _mm512_xor_si512(hi, set1(m.hi[2 * q + 1]))));
        }
        _mm512_storeu_si512(out + i, xxh3_avalanche(acc));
    }
    return i;
}

/// Keys [0, n) of one chunk, n ≤ chunk.
SG_AVX512_TARGET __attribute__((noinline)) void hash_chunk(const key_ref* keys, std::size_t n,
                                                           const seeded_consts& consts, std::uint64_t* out) {
    const short_consts& c = consts.s;
    class_lists lists;
    const __m256i lane_ids = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    std::size_t i = 0;
    while (i + 8 <= n) {
        const key_ref* k = keys + i;
        const __m512i len = lengths8(k);
        const __mmask8 m_4to8 = in_range(len, 4, 8);
        if (m_4to8 == 0xFF) {
            i = run_uniform<8>(keys, i, n, c, out);
            continue;
        }
        const __mmask8 m_9to16 = in_range(len, 9, 16);
        if (m_9to16 == 0xFF) {
            i = run_uniform<16>(keys, i, n, c, out);
            continue;
        }
        const __mmask8 m_long = _mm512_cmpgt_epu64_mask(len, set1(16));
        if (m_long == 0xFF) {
            const std::size_t start = i;
            if (in_range(len, 17, 32) == 0xFF)
                i = run_mid<1>(keys, i, n, consts.mid, out);
            else if (in_range(len, 33, 64) == 0xFF)
                i = run_mid<2>(keys, i, n, consts.mid, out);
            else if (in_range(len, 65, 96) == 0xFF)
                i = run_mid<3>(keys, i, n, consts.mid, out);
            else if (in_range(len, 97, 128) == 0xFF)
                i = run_mid<4>(keys, i, n, consts.mid, out);
            if (i != start) continue;
            // Longer keys of mixed sizes: the interleaved path takes the run.
            std::size_t end = i + 8;
            while (end + 8 <= n && _mm512_cmpgt_epu64_mask(lengths8(keys + end), set1(16)) == 0xFF) end += 8;
            burst_interleaved(k, end - i, consts, out + i);
            i = end;
            continue;
        }
        // Mixed classes: list the lanes by class for later.
        const __m256i ids = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(i)), lane_ids);
        append(lists.k9to16, lists.n9to16, m_9to16, ids);
        append(lists.k4to8, lists.n4to8, m_4to8, ids);
        append(lists.k1to3, lists.n1to3, in_range(len, 1, 3), ids);
        _mm512_mask_storeu_epi64(out + i, _mm512_cmpeq_epu64_mask(len, _mm512_setzero_si512()),
                                 set1(c.empty_hash));
        for (unsigned m = m_long; m; m &= m - 1) {
            const unsigned j = static_cast<unsigned>(__builtin_ctz(m));
            out[i + j] = hash_long(k[j].data, k[j].length, consts);
        }
        i += 8;
    }
    if (lists.n9to16) hash_list<16>(keys, lists.k9to16, lists.n9to16, c, out);
    if (lists.n4to8) hash_list<8>(keys, lists.k4to8, lists.n4to8, c, out);
    if (lists.n1to3) hash_list<3>(keys, lists.k1to3, lists.n1to3, c, out);
    if (i < n) burst_interleaved(keys + i, n - i, consts, out + i); // the tail, < 8 keys
}

/// Keys that are each record's str field at `offset`, `field_bytes` ≤ 16
/// bytes with NUL padding, eight per vector: each field's 16 bytes in two
/// words (lo, hi), cut to the field, its length from the highest non-zero
/// byte (vplzcntq); then every length class the eight keys hold is computed
/// from the two words, with no load per class, and blended by class. The
/// last < 8 keys are trimmed and hashed one by one.
SG_AVX512_TARGET __attribute__((noinline)) void hash_fields(const record_view* records, std::size_t n,
                                                            std::uint32_t offset, std::uint32_t field_bytes,
                                                            const short_consts& consts, std::uint64_t* out) {
    const short_consts c = consts; // stores to out[] cannot alias a local copy
    const auto keep = [](std::uint32_t bytes) {
        return bytes >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * bytes)) - 1;
    };
    const __m512i lo_keep = set1(keep(field_bytes));
    const __m512i hi_keep = set1(field_bytes > 8 ? keep(field_bytes - 8) : 0);
    const __m512i low8 = set1(0xFFu);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const std::byte* p[8];
        for (int j = 0; j < 8; ++j) p[j] = records[i + j].data + offset;
        __m512i lo, hi;
        load16x8(p, lo, hi);
        lo = _mm512_and_si512(lo, lo_keep);
        hi = _mm512_and_si512(hi, hi_keep);
        // Every byte of lo and hi past the value is zero (NUL padding, or
        // cut off above), which spares masking below. The length is 8 -
        // (leading zero bytes of lo), or 16 - those of hi when hi has any
        // byte set: such keys are the 9..16 byte class. vplzcntq gives 64
        // for zero, so an all-NUL field is 0.
        const __mmask8 m_9to16 = _mm512_test_epi64_mask(hi, hi);
        __m512i len = _mm512_sub_epi64(set1(8), _mm512_srli_epi64(_mm512_lzcnt_epi64(lo), 3));
        if (m_9to16)
            len = _mm512_mask_sub_epi64(len, m_9to16, set1(16), _mm512_srli_epi64(_mm512_lzcnt_epi64(hi), 3));
        const __mmask8 m_4to8 = _mm512_mask_cmpge_epu64_mask(static_cast<__mmask8>(~m_9to16), len, set1(4));
        const __mmask8 m_1to3 =
            _mm512_mask_test_epi64_mask(static_cast<__mmask8>(~(m_9to16 | m_4to8)), lo, lo);
        const __m512i len8 = _mm512_slli_epi64(len, 3); // the length in bits
        __m512i h = set1(c.empty_hash);
        if (m_4to8) {
            // XXH3_len_4to8_64b: bytes 0..3 above bytes len-4 .. len-1.
            const __m512i last = _mm512_srlv_epi64(lo, _mm512_sub_epi64(len8, set1(32)));
            const __m512i word = _mm512_add_epi64(_mm512_slli_epi64(lo, 32), last);
            h = _mm512_mask_mov_epi64(h, m_4to8, rrmxmx(_mm512_xor_si512(word, set1(c.bitflip_4to8)), len));
        }
        if (m_9to16) {
            // last = bytes len-8 .. len-1: the top of lo and the bottom of hi
            // (for 16 bytes, s = 64 and vpsrlvq gives 0: last = hi).
            const __m512i s = _mm512_sub_epi64(len8, set1(64));
            const __m512i last = _mm512_or_si512(_mm512_srlv_epi64(lo, s),
                                                 _mm512_sllv_epi64(hi, _mm512_sub_epi64(set1(64), s)));
            h = _mm512_mask_mov_epi64(h, m_9to16, finish_9to16(lo, last, len, c));
        }
        if (m_1to3) {
            // XXH3_len_1to3_64b: c1 = byte 0, c2 = byte len/2, c3 = byte len-1.
            const __m512i c1 = _mm512_and_si512(lo, low8);
            const __m512i c2 = _mm512_and_si512(
                _mm512_srlv_epi64(lo, _mm512_slli_epi64(_mm512_srli_epi64(len, 1), 3)), low8);
            const __m512i c3 = _mm512_srlv_epi64(lo, _mm512_sub_epi64(len8, set1(8)));
            const __m512i packed =
                _mm512_or_si512(_mm512_or_si512(_mm512_slli_epi64(c1, 16), _mm512_slli_epi64(c2, 24)),
                                _mm512_or_si512(c3, _mm512_slli_epi64(len, 8)));
            h = _mm512_mask_mov_epi64(h, m_1to3,
                                      xxh64_avalanche(_mm512_xor_si512(packed, set1(c.bitflip_1to3))));
        }
        _mm512_storeu_si512(out + i, h);
    }
    for (; i < n; ++i) {
        const std::byte* f = records[i].data + offset;
        out[i] = hash_short(f, padded_length(f, field_bytes), c);
    }
}

/// partitions_avx512's eight: (h & m) · p >> bits, p and m below 2^32.
SG_AVX512_INLINE __m512i partitions_of(__m512i h, __m512i m, __m512i p, __m128i bits) noexcept {
    return _mm512_srl_epi64(_mm512_mul_epu32(_mm512_and_si512(h, m), p), bits);
}

} // namespace

SG_AVX512_TARGET void burst_avx512(const key_ref* keys, std::size_t n, const seeded_consts& consts,
                                   std::uint64_t* out) noexcept {
    for (std::size_t i = 0; i < n; i += chunk)
        hash_chunk(keys + i, n - i < chunk ? n - i : chunk, consts, out + i);
}

SG_AVX512_TARGET void fields_avx512(const record_view* records, std::size_t n, std::uint32_t offset,
                                    std::uint32_t field_bytes, const seeded_consts& consts,
                                    std::uint64_t* out) noexcept {
    hash_fields(records, n, offset, field_bytes, consts.s, out);
}

SG_AVX512_TARGET void partitions_avx512(const std::uint64_t* hashes, std::size_t n, std::uint32_t mask,
                                        std::uint32_t partitions, std::uint32_t group_bits,
                                        std::uint32_t* out) noexcept {
    const __m512i m = _mm512_set1_epi64(mask);
    const __m512i p = _mm512_set1_epi64(partitions);
    const __m128i bits = _mm_cvtsi32_si128(static_cast<int>(group_bits));
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512i part = partitions_of(_mm512_loadu_si512(hashes + i), m, p, bits);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm512_cvtepi64_epi32(part));
    }
    if (i < n) {
        const auto rest = static_cast<__mmask8>((1u << (n - i)) - 1);
        const __m512i part = partitions_of(_mm512_maskz_loadu_epi64(rest, hashes + i), m, p, bits);
        _mm512_mask_cvtepi64_storeu_epi32(out + i, rest, part);
    }
}

} // namespace shardgate::xxh3_detail
