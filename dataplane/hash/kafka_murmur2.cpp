// Kafka's default partitioner hash (murmur2 as in the Java client's
// Utils.murmur2), bit for bit: same seed, same little-endian word reads, same
// tail handling, same final mix.
#include <cstring>

#include "shardgate/hash.hpp"

namespace shardgate {

std::uint32_t kafka_murmur2(const void* data, std::size_t length) noexcept {
    constexpr std::uint32_t seed = 0x9747b28cu;
    constexpr std::uint32_t m = 0x5bd1e995u;
    constexpr int r = 24;
    const auto* p = static_cast<const unsigned char*>(data);
    // Java computes with int arithmetic; unsigned 32-bit wraps identically.
    std::uint32_t h = seed ^ static_cast<std::uint32_t>(length);
    const std::size_t words = length / 4;
    for (std::size_t i = 0; i < words; ++i, p += 4) {
        std::uint32_t k = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
                          std::uint32_t(p[3]) << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    switch (length & 3) {
    case 3:
        h ^= std::uint32_t(p[2]) << 16;
        [[fallthrough]];
    case 2:
        h ^= std::uint32_t(p[1]) << 8;
        [[fallthrough]];
    case 1:
        h ^= std::uint32_t(p[0]);
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

void kafka_murmur2_burst(std::span<const key_ref> keys, std::span<std::uint64_t> out) noexcept {
    for (std::size_t i = 0; i < keys.size(); ++i) out[i] = kafka_murmur2(keys[i].data, keys[i].length);
}

} // namespace shardgate
