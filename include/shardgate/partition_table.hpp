#pragma once
/// The partition table: a power-of-two number of key groups, each mapped to a
/// partition, partitions owning contiguous ranges of groups. The ranges are
/// those of floor(g·N/G), and G is a power of two, so the table is computed,
/// not stored: routing a hash is a mask, a multiply and a shift, with no
/// memory to miss, and a burst of hashes takes a few vector instructions per
/// eight (partition_burst, shardgate/hash.hpp).

#include <algorithm>
#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "shardgate/ids.hpp"

namespace shardgate {

class partition_table {
public:
    static constexpr std::uint32_t default_key_groups = 4096;

    /// Partition p owns groups [ceil(p·G/N), ceil((p+1)·G/N)): group g belongs
    /// to floor(g·N/G). Ranges differ in size by at most one group. When N
    /// divides P, every range of the P-table lies inside one range of the
    /// N-table (floor(floor(g·P/G)/(P/N)) = floor(g·N/G)), which is what makes
    /// smart_repartition's fast path exact. Throws std::invalid_argument
    /// unless 1 ≤ N ≤ min(G, max_partitions) and G is a power of two.
    explicit partition_table(std::uint32_t partitions,
                             std::uint32_t key_groups = default_key_groups)
        : partitions_(partitions), mask_(key_groups - 1),
          group_bits_(static_cast<std::uint32_t>(std::countr_zero(key_groups))) {
        if (key_groups == 0 || !std::has_single_bit(key_groups) || key_groups > (1u << 24))
            throw std::invalid_argument("key_groups must be a power of two in [1, 16777216], got " +
                                        std::to_string(key_groups));
        if (partitions == 0 || partitions > key_groups || partitions > max_partitions)
            throw std::invalid_argument("partitions must be in [1, " +
                                        std::to_string(std::min(key_groups, max_partitions)) +
                                        "] for " + std::to_string(key_groups) +
                                        " key groups, got " + std::to_string(partitions));
    }
    /// The partition of a key hash. Any thread.
    [[nodiscard]] partition_id operator()(std::uint64_t hash) const noexcept { return owner(group_of(hash)); }
    [[nodiscard]] std::uint32_t group_of(std::uint64_t hash) const noexcept {
        return static_cast<std::uint32_t>(hash & mask_);
    }
    /// floor(group·N/G): below 2^24 · 2^16, so the product fits 64 bits.
    [[nodiscard]] partition_id owner(std::uint32_t group) const noexcept {
        return partition_id{static_cast<std::uint32_t>((std::uint64_t{group} * partitions_) >> group_bits_)};
    }
    [[nodiscard]] std::uint32_t partitions() const noexcept { return partitions_; }
    [[nodiscard]] std::uint32_t key_groups() const noexcept { return mask_ + 1; }
    /// log2(key_groups()).
    [[nodiscard]] std::uint32_t group_bits() const noexcept { return group_bits_; }

private:
    std::uint32_t partitions_;
    std::uint32_t mask_;
    std::uint32_t group_bits_;
};

} // namespace shardgate
