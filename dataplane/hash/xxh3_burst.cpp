// XXH3-64 over bursts of keys. The scalar path calls the inlined reference
// (XXH_INLINE_ALL: ~30 % faster than the shared library for short keys).
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "shardgate/hash.hpp"

namespace shardgate {

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

bool xxh3_path_available(xxh3_path p) noexcept { return p == xxh3_path::scalar || p == xxh3_path::best; }

xxh3_path xxh3_best_path() noexcept { return xxh3_path::scalar; }

std::uint64_t xxh3_64(const void* data, std::size_t length, std::uint64_t seed) noexcept {
    return XXH3_64bits_withSeed(data, length, seed);
}

void xxh3_burst(std::span<const key_ref> keys, std::uint64_t seed, std::span<std::uint64_t> out,
                xxh3_path) noexcept {
    for (std::size_t i = 0; i < keys.size(); ++i)
        out[i] = XXH3_64bits_withSeed(keys[i].data, keys[i].length, seed);
}

} // namespace shardgate
