// The shared-library baseline: a plain loop calling libxxhash's exported
// XXH3_64bits_withSeed (no XXH_INLINE_ALL here, on purpose).
#include <xxhash.h>

#include "tools/hashbench/baselines.hpp"

namespace shardgate::bench {

void loop_libxxhash(const key_ref* keys, std::size_t n, std::uint64_t seed, std::uint64_t* out) noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = XXH3_64bits_withSeed(keys[i].data, keys[i].length, seed);
}

} // namespace shardgate::bench
