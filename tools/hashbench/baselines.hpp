#pragma once
// The plain-loop baselines shardgate-hashbench compares xxh3_burst with.

#include <cstddef>
#include <cstdint>

#include "shardgate/record.hpp"

namespace shardgate::bench {

/// out[i] = XXH3_64bits_withSeed(keys[i]) through the shared libxxhash.
void loop_libxxhash(const key_ref* keys, std::size_t n, std::uint64_t seed, std::uint64_t* out) noexcept;

/// The same loop with xxHash inlined (XXH_INLINE_ALL), the faster baseline.
void loop_inlined(const key_ref* keys, std::size_t n, std::uint64_t seed, std::uint64_t* out) noexcept;

} // namespace shardgate::bench
