// XXH3-64 over bursts of keys: path selection, the scalar reference and the
// portable interleaved path. The SIMD paths live in xxh3_avx2.cpp and
// xxh3_avx512.cpp.
//
// The scalar path calls the inlined reference (XXH_INLINE_ALL: ~30 % faster
// than the shared library for short keys). Every other path computes keys of
// at most 128 bytes itself (xxh3_kernels.hpp) and hands longer keys to that
// same reference; the unit tests hold every path bit-identical to libxxhash's
// XXH3_64bits_withSeed for every length 0..1024.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <type_traits>

#include "dataplane/hash/xxh3_kernels.hpp"
#include "dataplane/keys/padded_str.hpp"
#include "shardgate/burst.hpp"
#include "shardgate/hash.hpp"

namespace shardgate {
namespace xxh3_detail {

seeded_consts make_consts(std::uint64_t seed) noexcept {
    const xxh_u8* s = XXH3_kSecret;
    seeded_consts c{};
    c.s.seed = seed;
    c.s.bitflip_1to3 = (std::uint64_t{XXH_readLE32(s)} ^ XXH_readLE32(s + 4)) + seed;
    const std::uint64_t seed48 = seed ^ (std::uint64_t{XXH_swap32(static_cast<xxh_u32>(seed))} << 32);
    c.s.bitflip_4to8 = (XXH_readLE64(s + 8) ^ XXH_readLE64(s + 16)) - seed48;
    c.s.bitflip_9to16_lo = (XXH_readLE64(s + 24) ^ XXH_readLE64(s + 32)) + seed;
    c.s.bitflip_9to16_hi = (XXH_readLE64(s + 40) ^ XXH_readLE64(s + 48)) - seed;
    c.s.empty_hash = xxh64_avalanche(seed ^ (XXH_readLE64(s + 56) ^ XXH_readLE64(s + 64)));
    for (int k = 0; k < 8; ++k) {
        c.mid.lo[k] = XXH_readLE64(s + 16 * k) + seed;
        c.mid.hi[k] = XXH_readLE64(s + 16 * k + 8) - seed;
    }
    return c;
}

std::uint64_t hash_reference(const std::byte* data, std::size_t length, std::uint64_t seed) noexcept {
    return XXH3_64bits_withSeed(data, length, seed);
}

std::uint64_t hash_long(const std::byte* p, std::uint32_t len, const seeded_consts& c) noexcept {
    switch (len <= 128 ? mid_class(len) : 4) {
    case 0:
        return hash_mid<1>(p, len, c.mid);
    case 1:
        return hash_mid<2>(p, len, c.mid);
    case 2:
        return hash_mid<3>(p, len, c.mid);
    case 3:
        return hash_mid<4>(p, len, c.mid);
    default:
        return hash_reference(p, len, c.s.seed);
    }
}

namespace {

/// True when every length is in [lo, hi]: one unsigned compare each.
inline bool all_in(std::uint32_t lo, std::uint32_t hi, const key_ref* k) noexcept {
    const std::uint32_t w = hi - lo;
    return ((k[0].length - lo) <= w) & ((k[1].length - lo) <= w) & ((k[2].length - lo) <= w) &
           ((k[3].length - lo) <= w);
}

// Four keys of one class, key after key in straight-line code: no branch
// between them, so the core overlaps their four dependency chains. (Loading
// all eight words first instead runs out of registers and spills.)
inline void four_9to16(const key_ref* k, const short_consts& c, std::uint64_t* out) noexcept {
    for (int j = 0; j < 4; ++j)
        out[j] = finish_9to16(load64(k[j].data), load64(k[j].data + k[j].length - 8), k[j].length, c);
}

inline void four_4to8(const key_ref* k, const short_consts& c, std::uint64_t* out) noexcept {
    for (int j = 0; j < 4; ++j)
        out[j] = finish_4to8(load32(k[j].data), load32(k[j].data + k[j].length - 4), k[j].length, c);
}

/// Keys longer than 16 bytes, out of line so the short-key loop keeps its
/// registers; one class branch per key, predictable for fixed-width keys.
__attribute__((noinline)) void long_run(const key_ref* k, std::size_t n, const seeded_consts& c,
                                        std::uint64_t* out) noexcept {
    for (std::size_t j = 0; j < n; ++j) {
        const std::byte* p = k[j].data;
        const std::uint32_t len = k[j].length;
        switch (len <= 128 ? mid_class(len) : 4) {
        case 0:
            out[j] = hash_mid<1>(p, len, c.mid);
            break;
        case 1:
            out[j] = hash_mid<2>(p, len, c.mid);
            break;
        case 2:
            out[j] = hash_mid<3>(p, len, c.mid);
            break;
        case 3:
            out[j] = hash_mid<4>(p, len, c.mid);
            break;
        default:
            out[j] = hash_reference(p, len, c.s.seed);
            break;
        }
    }
}

} // namespace

namespace {

/// Keys of mixed-class groups sorted by class, branch-free: each key's index
/// is written at the end of every list and only its own list's count moves.
/// With unpredictable lengths a class branch per key mispredicts about every
/// other key and costs more than the hash.
constexpr std::size_t chunk = 256;
struct class_lists {
    std::uint32_t k9to16[chunk], k4to8[chunk], k1to3[chunk], k_long[chunk];
    std::uint32_t n9to16 = 0, n4to8 = 0, n1to3 = 0, n_long = 0;

    void add(std::uint32_t index, std::uint32_t len) noexcept {
        k9to16[n9to16] = index;
        k4to8[n4to8] = index;
        k1to3[n1to3] = index;
        k_long[n_long] = index;
        n9to16 += len - 9u <= 7u;
        n4to8 += len - 4u <= 4u;
        n1to3 += len - 1u <= 2u;
        n_long += len > 16u;
    }
};

/// Keys [0, n) of one chunk, n ≤ chunk.
void interleaved_chunk(const key_ref* keys, std::size_t n, const seeded_consts& consts,
                       std::uint64_t* out) noexcept {
    // A local copy: stores to out[] cannot alias it, so its words stay in
    // registers instead of being reloaded after every store.
    const short_consts c = consts.s;
    class_lists lists;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const key_ref* k = keys + i;
        if (all_in(9, 16, k)) {
            four_9to16(k, c, out + i);
        } else if (all_in(4, 8, k)) {
            four_4to8(k, c, out + i);
        } else if (all_in(17, ~0u, k)) {
            // A run of long keys goes out of line in one call.
            std::size_t end = i + 4;
            while (end + 4 <= n && all_in(17, ~0u, keys + end)) end += 4;
            long_run(k, end - i, consts, out + i);
            i = end - 4;
        } else {
            for (std::uint32_t j = 0; j < 4; ++j) {
                out[i + j] = c.empty_hash; // right for empty keys; the lists overwrite the rest
                lists.add(static_cast<std::uint32_t>(i + j), k[j].length);
            }
        }
    }
    for (; i < n; ++i) {
        out[i] = c.empty_hash;
        lists.add(static_cast<std::uint32_t>(i), keys[i].length);
    }
    for (std::uint32_t t = 0; t < lists.n9to16; ++t) {
        const key_ref& k = keys[lists.k9to16[t]];
        out[lists.k9to16[t]] = finish_9to16(load64(k.data), load64(k.data + k.length - 8), k.length, c);
    }
    for (std::uint32_t t = 0; t < lists.n4to8; ++t) {
        const key_ref& k = keys[lists.k4to8[t]];
        out[lists.k4to8[t]] = finish_4to8(load32(k.data), load32(k.data + k.length - 4), k.length, c);
    }
    for (std::uint32_t t = 0; t < lists.n1to3; ++t) {
        const key_ref& k = keys[lists.k1to3[t]];
        out[lists.k1to3[t]] = finish_1to3(pack_1to3(k.data, k.length), c);
    }
    for (std::uint32_t t = 0; t < lists.n_long; ++t) {
        const key_ref& k = keys[lists.k_long[t]];
        out[lists.k_long[t]] = hash_long(k.data, k.length, consts);
    }
}

} // namespace

/// Four keys at a time: when the four share a length class (the common case
/// of fixed-width keys), they are hashed by that class's code alone with no
/// branch between them, so the core overlaps four dependency chains; per-seed
/// constants are computed once per burst. Keys of mixed groups are sorted by
/// class first (class_lists).
void burst_interleaved(const key_ref* keys, std::size_t n, const seeded_consts& consts,
                       std::uint64_t* out) noexcept {
    for (std::size_t i = 0; i < n; i += chunk)
        interleaved_chunk(keys + i, n - i < chunk ? n - i : chunk, consts, out + i);
}

} // namespace xxh3_detail

namespace {

using namespace xxh3_detail;

struct cpu_paths {
    bool avx2;
    bool avx512;
    xxh3_path best;
};

cpu_paths detect() noexcept {
    __builtin_cpu_init();
    cpu_paths p{};
    // The SIMD paths also count mask bits with popcnt, which GCC's avx2
    // target enables; every AVX2 CPU has it, but check rather than assume.
    const bool popcnt = __builtin_cpu_supports("popcnt");
    p.avx2 = popcnt && __builtin_cpu_supports("avx2");
    // The AVX-512 path uses F (512-bit integer ops), DQ (vpmullq), BW
    // (vpshufb on zmm for the byte swap), VL and CD (vplzcntq, trimming
    // padded keys); every AVX-512 CPU has CD. libgcc's feature bits include
    // the OS check (XCR0 enables the zmm state).
    p.avx512 = popcnt && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512cd");
    // The order is by measurement (README, Performance): avx512 beats avx2 and
    // avx2 beats interleaved on every key length shardgate-hashbench tries.
    p.best = p.avx512 ? xxh3_path::avx512 : p.avx2 ? xxh3_path::avx2 : xxh3_path::interleaved;
    return p;
}

/// Detected once, on first use (thread-safe static initialisation).
const cpu_paths& cpu() noexcept {
    static const cpu_paths p = detect();
    return p;
}

void burst_scalar(const key_ref* keys, std::size_t n, std::uint64_t seed, std::uint64_t* out) noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = XXH3_64bits_withSeed(keys[i].data, keys[i].length, seed);
}

} // namespace

std::string_view to_string(xxh3_path p) noexcept {
    switch (p) {
    case xxh3_path::scalar:
        return "scalar";
    case xxh3_path::interleaved:
        return "interleaved";
    case xxh3_path::avx2:
        return "avx2";
    case xxh3_path::avx512:
        return "avx512";
    case xxh3_path::best:
        return "best";
    }
    return "?";
}

bool xxh3_path_available(xxh3_path p) noexcept {
    switch (p) {
    case xxh3_path::scalar:
    case xxh3_path::interleaved:
    case xxh3_path::best:
        return true;
    case xxh3_path::avx2:
        return cpu().avx2;
    case xxh3_path::avx512:
        return cpu().avx512;
    }
    return false;
}

xxh3_path xxh3_best_path() noexcept { return cpu().best; }

std::uint64_t xxh3_64(const void* data, std::size_t length, std::uint64_t seed) noexcept {
    return XXH3_64bits_withSeed(data, length, seed);
}

void xxh3_burst(std::span<const key_ref> keys, std::uint64_t seed, std::span<std::uint64_t> out,
                xxh3_path path) noexcept {
    const std::size_t n = keys.size();
    if (path == xxh3_path::best || !xxh3_path_available(path)) path = cpu().best;
    switch (path) {
    case xxh3_path::scalar:
        burst_scalar(keys.data(), n, seed, out.data());
        return;
    case xxh3_path::avx2:
        burst_avx2(keys.data(), n, make_consts(seed), out.data());
        return;
    case xxh3_path::avx512:
        burst_avx512(keys.data(), n, make_consts(seed), out.data());
        return;
    case xxh3_path::interleaved:
    case xxh3_path::best: // resolved above; listed so every value has a safe path
        burst_interleaved(keys.data(), n, make_consts(seed), out.data());
        return;
    }
}

namespace {
/// Slices the records' fields into keys (slice_field_keys), max_burst at a
/// time, and hands each slice and its part of `out` to `hash`.
template <typename Hash>
void hash_sliced_fields(std::span<const record_view> records, std::uint32_t offset, std::uint32_t field_bytes,
                        std::span<std::uint64_t> out, Hash hash) noexcept {
    std::array<key_ref, max_burst> keys;
    for (std::size_t i = 0; i < records.size(); i += max_burst) {
        const std::size_t n = std::min(records.size() - i, max_burst);
        slice_field_keys(records.subspan(i, n), offset, field_bytes, keys);
        hash(std::span<const key_ref>(keys.data(), n), out.subspan(i, n));
    }
}
} // namespace

void xxh3_burst_fields(std::span<const record_view> records, std::uint32_t offset, std::uint32_t field_bytes,
                       std::uint64_t seed, std::span<std::uint64_t> out, xxh3_path path) noexcept {
    if (path == xxh3_path::best || !xxh3_path_available(path)) path = cpu().best;
    if (path == xxh3_path::avx512 && field_bytes <= short_padded_field_bytes) {
        fields_avx512(records.data(), records.size(), offset, field_bytes, make_consts(seed), out.data());
        return;
    }
    hash_sliced_fields(records, offset, field_bytes, out,
                       [&](std::span<const key_ref> keys, std::span<std::uint64_t> hashes) {
                           xxh3_burst(keys, seed, hashes, path);
                       });
}

void kafka_murmur2_burst_fields(std::span<const record_view> records, std::uint32_t offset,
                                std::uint32_t field_bytes, std::span<std::uint64_t> out) noexcept {
    hash_sliced_fields(records, offset, field_bytes, out, kafka_murmur2_burst);
}

void partition_burst(const partition_table& table, std::span<const std::uint64_t> hashes,
                     std::span<partition_id> out, xxh3_path path) noexcept {
    static_assert(sizeof(partition_id) == sizeof(std::uint32_t) &&
                  std::is_trivially_copyable_v<partition_id>);
    if (path == xxh3_path::best || !xxh3_path_available(path)) path = cpu().best;
    const std::uint32_t mask = table.key_groups() - 1;
    // The kernels write each partition_id's one uint32_t member: by vector
    // stores, and by memcpy in the AVX2 tail.
    auto* const out32 = reinterpret_cast<std::uint32_t*>(out.data());
    switch (path) {
    case xxh3_path::avx512:
        partitions_avx512(hashes.data(), hashes.size(), mask, table.partitions(), table.group_bits(), out32);
        return;
    case xxh3_path::avx2:
        partitions_avx2(hashes.data(), hashes.size(), mask, table.partitions(), table.group_bits(), out32);
        return;
    case xxh3_path::scalar:
    case xxh3_path::interleaved:
    case xxh3_path::best: { // resolved above
        // A local copy: stores to out[] cannot alias it, so its fields stay in registers.
        const partition_table t = table;
        for (std::size_t i = 0; i < hashes.size(); ++i) out[i] = t(hashes[i]);
        return;
    }
    }
}

void slice_field_keys(std::span<const record_view> records, std::uint32_t offset, std::uint32_t field_bytes,
                      std::span<key_ref> keys) noexcept {
    for (std::size_t i = 0; i < records.size(); ++i) {
        const std::byte* f = records[i].data + offset;
        keys[i] = {f, padded_length(f, field_bytes)};
    }
}

} // namespace shardgate
