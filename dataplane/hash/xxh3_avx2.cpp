// The AVX2 path of xxh3_burst: four keys per 256-bit vector, one 64-bit lane
// per key. Same structure as the AVX-512 path (xxh3_avx512.cpp, which
// explains it), with what AVX2 lacks built from what it has: 64-bit
// multiplies from three 32x32→64 products, rotates from two shifts, masks as
// vectors, and the class sort's compress from a 16-entry shuffle table.
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
    const __m256i cross =
        _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), k), _mm256_mul_epu32(a, k_hi));
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
    return _mm256_set_epi64x(static_cast<long long>(w3), static_cast<long long>(w2),
                             static_cast<long long>(w1), static_cast<long long>(w0));
}

SG_AVX2_INLINE __m256i finish_9to16(__m256i first, __m256i last, __m256i len, const short_consts& c) {
    const __m256i lo = _mm256_xor_si256(first, set1(c.bitflip_9to16_lo));
    const __m256i hi = _mm256_xor_si256(last, set1(c.bitflip_9to16_hi));
    const __m256i acc =
        _mm256_add_epi64(_mm256_add_epi64(len, bswap64(lo)), _mm256_add_epi64(hi, mul128_fold64(lo, hi)));
    return xxh3_avalanche(acc);
}

/// Runs of groups of four keys in one class of 4..8 (Class 8) or 9..16
/// (Class 16) bytes; returns where the run ended.
template <int Class>
SG_AVX2_TARGET __attribute__((noinline)) std::size_t
run_uniform(const key_ref* k, std::size_t i, std::size_t n, const short_consts& consts, std::uint64_t* out) {
    const short_consts c = consts; // stores to out[] cannot alias a local copy
    for (; i + 4 <= n; i += 4) {
        const __m256i len = lengths4(k + i);
        const key_ref* g = k + i;
        __m256i h;
        if constexpr (Class == 8) {
            if (!all(in_range(len, 4, 8))) break;
            const __m256i w =
                from_lanes(word_4to8(g[0].data, g[0].length), word_4to8(g[1].data, g[1].length),
                           word_4to8(g[2].data, g[2].length), word_4to8(g[3].data, g[3].length));
            h = rrmxmx(_mm256_xor_si256(w, set1(c.bitflip_4to8)), len);
        } else {
            if (!all(in_range(len, 9, 16))) break;
            const __m256i first =
                from_lanes(load64(g[0].data), load64(g[1].data), load64(g[2].data), load64(g[3].data));
            const __m256i last =
                from_lanes(load64(g[0].data + g[0].length - 8), load64(g[1].data + g[1].length - 8),
                           load64(g[2].data + g[2].length - 8), load64(g[3].data + g[3].length - 8));
            h = finish_9to16(first, last, len, c);
        }
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), h);
    }
    return i;
}

/// Sixteen bytes at each of four addresses: lo = first eight bytes of each,
/// hi = second eight.
SG_AVX2_INLINE void load16x4(const std::byte* const* p, __m256i& lo, __m256i& hi) {
    const __m256i a = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p[0]))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(p[1])), 1); // k0lo k0hi k1lo k1hi
    const __m256i b = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p[2]))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(p[3])), 1); // k2lo k2hi k3lo k3hi
    lo = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(a, b), 0xD8);
    hi = _mm256_permute4x64_epi64(_mm256_unpackhi_epi64(a, b), 0xD8);
}

/// XXH3_len_17to128_64b for runs of groups of four keys with the same number
/// of 16-byte pairs; returns where the run ended.
template <int Pairs>
SG_AVX2_TARGET __attribute__((noinline)) std::size_t
run_mid(const key_ref* keys, std::size_t i, std::size_t n, const mid_consts& m, std::uint64_t* out) {
    constexpr long long lo_len = Pairs == 1 ? 17 : 32 * (Pairs - 1) + 1;
    for (; i + 4 <= n; i += 4) {
        const key_ref* k = keys + i;
        const __m256i len = lengths4(k);
        if (!all(in_range(len, lo_len, 32 * Pairs))) break;
        __m256i acc = mul_lo_const<prime64_1>(len);
        for (int q = 0; q < Pairs; ++q) {
            const std::byte* front[4];
            const std::byte* back[4];
            for (int j = 0; j < 4; ++j) {
                front[j] = k[j].data + 16 * q;
                back[j] = k[j].data + k[j].length - 16 * (q + 1);
            }
            __m256i lo, hi;
            load16x4(front, lo, hi);
            acc = _mm256_add_epi64(acc, mul128_fold64(_mm256_xor_si256(lo, set1(m.lo[2 * q])),
                                                      _mm256_xor_si256(hi, set1(m.hi[2 * q]))));
            load16x4(back, lo, hi);
            acc = _mm256_add_epi64(acc, mul128_fold64(_mm256_xor_si256(lo, set1(m.lo[2 * q + 1])),
                                                      _mm256_xor_si256(hi, set1(m.hi[2 * q + 1]))));
        }
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), xxh3_avalanche(acc));
    }
    return i;
}

/// Keys of mixed-class groups sorted by class (see xxh3_avx512.cpp).
constexpr std::size_t chunk = 256;
struct class_lists {
    // +4: a compress stores four entries whatever the count (unaligned
    // stores, so no alignment is needed).
    std::uint32_t k9to16[chunk + 4];
    std::uint32_t k4to8[chunk + 4];
    std::uint32_t k1to3[chunk + 4];
    std::uint32_t n9to16 = 0, n4to8 = 0, n1to3 = 0;
};

/// pshufb controls that pack the 32-bit lanes selected by a 4-bit mask to
/// the front (AVX2 has no vpcompressd).
struct compress_table {
    alignas(16) std::uint8_t control[16][16]; // each row is one aligned 16-byte load
    constexpr compress_table() : control{} {
        for (int m = 0; m < 16; ++m) {
            int out = 0;
            for (int lane = 0; lane < 4; ++lane)
                if (m >> lane & 1) {
                    for (int b = 0; b < 4; ++b)
                        control[m][4 * out + b] = static_cast<std::uint8_t>(4 * lane + b);
                    ++out;
                }
            for (int b = 4 * out; b < 16; ++b) control[m][b] = 0x80; // zero
        }
    }
};
constexpr compress_table compress4{};

SG_AVX2_INLINE void append(std::uint32_t* list, std::uint32_t& count, __m256i mask, __m128i ids) {
    const int m = _mm256_movemask_pd(_mm256_castsi256_pd(mask));
    const __m128i control = _mm_load_si128(reinterpret_cast<const __m128i*>(compress4.control[m]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(list + count), _mm_shuffle_epi8(ids, control));
    count += static_cast<std::uint32_t>(__builtin_popcount(static_cast<unsigned>(m)));
}

template <int Class>
SG_AVX2_INLINE void hash_list(const key_ref* keys, const std::uint32_t* list, std::uint32_t count,
                              const short_consts& c, std::uint64_t* out) {
    std::uint32_t t = 0;
    for (; t + 4 <= count; t += 4) {
        const std::uint32_t* ix = list + t;
        const key_ref& k0 = keys[ix[0]];
        const key_ref& k1 = keys[ix[1]];
        const key_ref& k2 = keys[ix[2]];
        const key_ref& k3 = keys[ix[3]];
        __m256i h;
        if constexpr (Class == 16) {
            const __m256i len = from_lanes(k0.length, k1.length, k2.length, k3.length);
            h = finish_9to16(from_lanes(load64(k0.data), load64(k1.data), load64(k2.data), load64(k3.data)),
                             from_lanes(load64(k0.data + k0.length - 8), load64(k1.data + k1.length - 8),
                                        load64(k2.data + k2.length - 8), load64(k3.data + k3.length - 8)),
                             len, c);
        } else if constexpr (Class == 8) {
            const __m256i len = from_lanes(k0.length, k1.length, k2.length, k3.length);
            const __m256i w = from_lanes(word_4to8(k0.data, k0.length), word_4to8(k1.data, k1.length),
                                         word_4to8(k2.data, k2.length), word_4to8(k3.data, k3.length));
            h = rrmxmx(_mm256_xor_si256(w, set1(c.bitflip_4to8)), len);
        } else {
            const __m256i w = from_lanes(pack_1to3(k0.data, k0.length), pack_1to3(k1.data, k1.length),
                                         pack_1to3(k2.data, k2.length), pack_1to3(k3.data, k3.length));
            h = xxh64_avalanche(_mm256_xor_si256(w, set1(c.bitflip_1to3)));
        }
        alignas(32) std::uint64_t r[4]; // one aligned 32-byte store, read back lane by lane
        _mm256_store_si256(reinterpret_cast<__m256i*>(r), h);
        for (int j = 0; j < 4; ++j) out[ix[j]] = r[j];
    }
    for (; t < count; ++t) out[list[t]] = hash_short(keys[list[t]].data, keys[list[t]].length, c);
}

/// Keys [0, n) of one chunk, n ≤ chunk.
SG_AVX2_TARGET __attribute__((noinline)) void hash_chunk(const key_ref* keys, std::size_t n,
                                                         const seeded_consts& consts, std::uint64_t* out) {
    const short_consts& c = consts.s;
    class_lists lists;
    std::size_t i = 0;
    while (i + 4 <= n) {
        const key_ref* k = keys + i;
        const __m256i len = lengths4(k);
        const __m256i m_4to8 = in_range(len, 4, 8);
        if (all(m_4to8)) {
            i = run_uniform<8>(keys, i, n, c, out);
            continue;
        }
        const __m256i m_9to16 = in_range(len, 9, 16);
        if (all(m_9to16)) {
            i = run_uniform<16>(keys, i, n, c, out);
            continue;
        }
        const __m256i m_long = _mm256_cmpgt_epi64(len, set1(16));
        if (all(m_long)) {
            const std::size_t start = i;
            if (all(in_range(len, 17, 32)))
                i = run_mid<1>(keys, i, n, consts.mid, out);
            else if (all(in_range(len, 33, 64)))
                i = run_mid<2>(keys, i, n, consts.mid, out);
            else if (all(in_range(len, 65, 96)))
                i = run_mid<3>(keys, i, n, consts.mid, out);
            else if (all(in_range(len, 97, 128)))
                i = run_mid<4>(keys, i, n, consts.mid, out);
            if (i != start) continue;
            std::size_t end = i + 4;
            while (end + 4 <= n && all(_mm256_cmpgt_epi64(lengths4(keys + end), set1(16)))) end += 4;
            burst_interleaved(k, end - i, consts, out + i);
            i = end;
            continue;
        }
        // Mixed classes: list the lanes by class for later.
        const __m128i ids = _mm_add_epi32(_mm_set1_epi32(static_cast<int>(i)), _mm_setr_epi32(0, 1, 2, 3));
        append(lists.k9to16, lists.n9to16, m_9to16, ids);
        append(lists.k4to8, lists.n4to8, m_4to8, ids);
        append(lists.k1to3, lists.n1to3, in_range(len, 1, 3), ids);
        // Right for empty keys; the lists overwrite the others.
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), set1(c.empty_hash));
        for (int m = _mm256_movemask_pd(_mm256_castsi256_pd(m_long)); m; m &= m - 1) {
            const int j = __builtin_ctz(static_cast<unsigned>(m));
            out[i + j] = hash_long(k[j].data, k[j].length, consts);
        }
        i += 4;
    }
    if (lists.n9to16) hash_list<16>(keys, lists.k9to16, lists.n9to16, c, out);
    if (lists.n4to8) hash_list<8>(keys, lists.k4to8, lists.n4to8, c, out);
    if (lists.n1to3) hash_list<3>(keys, lists.k1to3, lists.n1to3, c, out);
    if (i < n) burst_interleaved(keys + i, n - i, consts, out + i); // the tail, < 4 keys
}

} // namespace

SG_AVX2_TARGET void burst_avx2(const key_ref* keys, std::size_t n, const seeded_consts& consts,
                               std::uint64_t* out) noexcept {
    for (std::size_t i = 0; i < n; i += chunk)
        hash_chunk(keys + i, n - i < chunk ? n - i : chunk, consts, out + i);
}

SG_AVX2_TARGET void partitions_avx2(const std::uint64_t* hashes, std::size_t n, std::uint32_t mask,
                                    std::uint32_t partitions, std::uint32_t group_bits,
                                    std::uint32_t* out) noexcept {
    const __m256i m = _mm256_set1_epi64x(mask);
    const __m256i p = _mm256_set1_epi64x(partitions);
    const __m128i bits = _mm_cvtsi32_si128(static_cast<int>(group_bits));
    const __m256i low_words = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(hashes + i));
        const __m256i part = _mm256_srl_epi64(_mm256_mul_epu32(_mm256_and_si256(h, m), p), bits);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                         _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(part, low_words)));
    }
    for (; i < n; ++i) {
        const auto part = static_cast<std::uint32_t>(((hashes[i] & mask) * partitions) >> group_bits);
        std::memcpy(out + i, &part, sizeof part);
    }
}

} // namespace shardgate::xxh3_detail
