#pragma once
/// Strong id types for everything that crosses an API: a partition is never a
/// bare integer, so a core id cannot be passed where a partition is meant.

#include <compare>
#include <cstdint>
#include <limits>

namespace shardgate {

/// A value of `T` that does not mix with other ids of the same representation.
/// Trivially copyable and the size of `T`, so arrays of ids cost what arrays of
/// `T` cost on the hot path.
template <typename T, typename Tag>
class named_type {
public:
    using value_type = T;
    constexpr named_type() noexcept = default;
    constexpr explicit named_type(T v) noexcept : value_(v) {}
    [[nodiscard]] constexpr T value() const noexcept { return value_; }
    friend constexpr auto operator<=>(named_type, named_type) noexcept = default;

private:
    T value_{};
};

/// An output partition of the router (a downstream worker), 0 ≤ id < N.
using partition_id = named_type<std::uint32_t, struct partition_id_tag>;
/// A dataplane or egress core, as numbered by the router (not a CPU number).
using core_id = named_type<std::uint32_t, struct core_id_tag>;
/// A configured source (socket, port queue, file), as numbered by the config.
using source_id = named_type<std::uint32_t, struct source_id_tag>;
/// The partition a record had upstream (a Kafka partition, a feed shard).
using source_partition = named_type<std::uint32_t, struct source_partition_tag>;

/// Route result for a record that must not reach any partition (bad source
/// partition, missing key): it goes to the dead-letter path and is counted.
inline constexpr partition_id invalid_partition{std::numeric_limits<std::uint32_t>::max()};
/// A record whose source partition is unknown (not carried, not configured).
inline constexpr source_partition unknown_source_partition{
    std::numeric_limits<std::uint32_t>::max()};

/// Upper bound on N: the source-partition tables of sticky_partition and
/// smart_repartition store partitions as 16-bit values, and the key-group
/// mapping multiplies a group (< 2^24) by N in 64 bits.
inline constexpr std::uint32_t max_partitions = 65535;

} // namespace shardgate
