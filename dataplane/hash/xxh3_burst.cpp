// XXH3-64 over bursts of keys: path selection, the scalar reference and the
// portable interleaved path. The SIMD paths live in xxh3_avx2.cpp and
// xxh3_avx512.cpp.
//
// The scalar path calls the inlined reference (XXH_INLINE_ALL: ~30 % faster
// than the shared library for short keys). Every other path computes keys of
// at most 16 bytes itself (xxh3_short.hpp) and hands longer keys to that same
// reference, so every path is bit-identical to XXH3_64bits_withSeed.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dataplane/hash/xxh3_short.hpp"
#include "shardgate/hash.hpp"

namespace shardgate {
namespace xxh3_detail {

short_consts make_short_consts(std::uint64_t seed) noexcept {
    const xxh_u8* s = XXH3_kSecret;
    short_consts c{};
    c.seed = seed;
    c.bitflip_1to3 = (std::uint64_t{XXH_readLE32(s)} ^ XXH_readLE32(s + 4)) + seed;
    const std::uint64_t seed48 = seed ^ (std::uint64_t{XXH_swap32(static_cast<xxh_u32>(seed))} << 32);
    c.bitflip_4to8 = (XXH_readLE64(s + 8) ^ XXH_readLE64(s + 16)) - seed48;
    c.bitflip_9to16_lo = (XXH_readLE64(s + 24) ^ XXH_readLE64(s + 32)) + seed;
    c.bitflip_9to16_hi = (XXH_readLE64(s + 40) ^ XXH_readLE64(s + 48)) - seed;
    c.empty_hash = xxh64_avalanche(seed ^ (XXH_readLE64(s + 56) ^ XXH_readLE64(s + 64)));
    return c;
}

std::uint64_t hash_reference(const std::byte* data, std::size_t length, std::uint64_t seed) noexcept {
    return XXH3_64bits_withSeed(data, length, seed);
}

} // namespace xxh3_detail

namespace {

using namespace xxh3_detail;

bool cpu_has_avx2() noexcept {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

bool cpu_has_avx512() noexcept {
    // The AVX-512 path uses F (512-bit integer ops), DQ (vpmullq), BW
    // (vpshufb on zmm for the byte swap) and VL. libgcc's feature bits
    // include the OS check (XCR0 enables the zmm state).
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

xxh3_path detect_best() noexcept {
    if (cpu_has_avx512()) return xxh3_path::avx512;
    if (cpu_has_avx2()) return xxh3_path::avx2;
    return xxh3_path::interleaved;
}

xxh3_path resolved_best() noexcept {
    static const xxh3_path best = detect_best();
    return best;
}

void burst_scalar(const key_ref* keys, std::size_t n, std::uint64_t seed, std::uint64_t* out) noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = XXH3_64bits_withSeed(keys[i].data, keys[i].length, seed);
}

/// True when every length is in [lo, hi]: one unsigned compare each.
inline bool all_in(std::uint32_t lo, std::uint32_t hi, std::uint32_t a, std::uint32_t b, std::uint32_t c,
                   std::uint32_t d) noexcept {
    const std::uint32_t w = hi - lo;
    return ((a - lo) <= w) & ((b - lo) <= w) & ((c - lo) <= w) & ((d - lo) <= w);
}

/// Four keys at a time: when the four share a length class, their loads and
/// multiplies are written side by side with no branch between them, so the
/// core overlaps four dependency chains; per-seed constants are hoisted out
/// of the loop. Mixed groups and the tail go key by key.
void burst_interleaved(const key_ref* keys, std::size_t n, const short_consts& c, std::uint64_t* out) noexcept {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const key_ref* k = keys + i;
        const std::uint32_t l0 = k[0].length, l1 = k[1].length, l2 = k[2].length, l3 = k[3].length;
        if (all_in(9, 16, l0, l1, l2, l3)) {
            const std::uint64_t a0 = load64(k[0].data), a1 = load64(k[1].data), a2 = load64(k[2].data),
                                a3 = load64(k[3].data);
            const std::uint64_t b0 = load64(k[0].data + l0 - 8), b1 = load64(k[1].data + l1 - 8),
                                b2 = load64(k[2].data + l2 - 8), b3 = load64(k[3].data + l3 - 8);
            out[i] = finish_9to16(a0, b0, l0, c);
            out[i + 1] = finish_9to16(a1, b1, l1, c);
            out[i + 2] = finish_9to16(a2, b2, l2, c);
            out[i + 3] = finish_9to16(a3, b3, l3, c);
        } else if (all_in(4, 8, l0, l1, l2, l3)) {
            const std::uint32_t a0 = load32(k[0].data), a1 = load32(k[1].data), a2 = load32(k[2].data),
                                a3 = load32(k[3].data);
            const std::uint32_t b0 = load32(k[0].data + l0 - 4), b1 = load32(k[1].data + l1 - 4),
                                b2 = load32(k[2].data + l2 - 4), b3 = load32(k[3].data + l3 - 4);
            out[i] = finish_4to8(a0, b0, l0, c);
            out[i + 1] = finish_4to8(a1, b1, l1, c);
            out[i + 2] = finish_4to8(a2, b2, l2, c);
            out[i + 3] = finish_4to8(a3, b3, l3, c);
        } else {
            for (std::size_t j = 0; j < 4; ++j)
                out[i + j] = k[j].length <= 16 ? hash_short(k[j].data, k[j].length, c)
                                               : hash_reference(k[j].data, k[j].length, c.seed);
        }
    }
    for (; i < n; ++i)
        out[i] = keys[i].length <= 16 ? hash_short(keys[i].data, keys[i].length, c)
                                      : hash_reference(keys[i].data, keys[i].length, c.seed);
}

} // namespace

std::string_view to_string(xxh3_path p) noexcept {
    switch (p) {
    case xxh3_path::scalar: return "scalar";
    case xxh3_path::interleaved: return "interleaved";
    case xxh3_path::avx2: return "avx2";
    case xxh3_path::avx512: return "avx512";
    case xxh3_path::best: return "best";
    }
    return "?";
}

bool xxh3_path_available(xxh3_path p) noexcept {
    switch (p) {
    case xxh3_path::scalar:
    case xxh3_path::interleaved:
    case xxh3_path::best: return true;
    case xxh3_path::avx2: return cpu_has_avx2();
    case xxh3_path::avx512: return cpu_has_avx512();
    }
    return false;
}

xxh3_path xxh3_best_path() noexcept { return resolved_best(); }

std::uint64_t xxh3_64(const void* data, std::size_t length, std::uint64_t seed) noexcept {
    return XXH3_64bits_withSeed(data, length, seed);
}

void xxh3_burst(std::span<const key_ref> keys, std::uint64_t seed, std::span<std::uint64_t> out,
                xxh3_path path) noexcept {
    const std::size_t n = keys.size();
    if (path == xxh3_path::best || !xxh3_path_available(path)) path = resolved_best();
    switch (path) {
    case xxh3_path::scalar: burst_scalar(keys.data(), n, seed, out.data()); return;
    case xxh3_path::interleaved: burst_interleaved(keys.data(), n, make_short_consts(seed), out.data()); return;
    case xxh3_path::avx2: burst_avx2(keys.data(), n, make_short_consts(seed), out.data()); return;
    case xxh3_path::avx512:
    case xxh3_path::best: burst_avx512(keys.data(), n, make_short_consts(seed), out.data()); return;
    }
}

} // namespace shardgate
