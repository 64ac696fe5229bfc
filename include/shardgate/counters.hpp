#pragma once
/// Named dataplane counters. Every drop or anomaly has one, with a
/// description. Each core writes its own block (single writer); readers on
/// other threads load with relaxed ordering.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shardgate {

#define SHARDGATE_COUNTERS(X)                                                                      \
    X(records_in, "records decoded from sources")                                                 \
    X(records_routed, "records given a partition and staged for egress")                          \
    X(records_rejected, "records not routed: malformed or unroutable (reasons below)")            \
    X(records_out, "records handed to a sink")                                                    \
    X(bytes_in, "record bytes decoded from sources")                                              \
    X(bytes_out, "record bytes handed to a sink")                                                 \
    X(datagrams_in, "datagrams or frames received")                                               \
    X(drop_ring_full, "records dropped because a partition ring was full (UDP/DPDK sources)")     \
    X(drop_rx_no_buffer, "receives that found no free buffer (kernel or NIC may have dropped)")   \
    X(drop_rx_kernel, "datagrams the kernel dropped because a socket receive buffer was full")   \
    X(drop_sink, "records a sink failed to send")                                                 \
    X(malformed_truncated, "records cut short (frame ended inside a record)")                     \
    X(malformed_syntax, "records that do not parse in the configured format")                     \
    X(malformed_missing_key, "records lacking a routing key field")                               \
    X(malformed_bad_key_value, "records whose routing key expression could not be evaluated")     \
    X(malformed_oversized, "records or keys larger than the configured maximum")                  \
    X(bad_source_partition, "records whose source partition is outside the declared range")       \
    X(dead_lettered, "records forwarded to the dead-letter sink")                                 \
    X(dead_letter_dropped, "rejected records the dead-letter sink had no room for (still counted by reason)") \
    X(drop_shutdown, "records still held when the drain timeout ended a shutdown")                \
    X(drop_shutdown_datagrams, "datagrams a relay held for a core that gave up draining")         \
    X(smart_fast_path, "smart_repartition: records routed by source partition without hashing")   \
    X(smart_hashed, "smart_repartition: records routed by hashing their key")                     \
    X(smart_verified, "smart_repartition: sampled records whose hash confirmed the fast path")    \
    X(smart_mismatch, "smart_repartition: sampled records that contradicted the fast path")       \
    X(not_ipv4_udp, "frames that were not IPv4/IPv6 UDP to a configured port")                    \
    X(malformed_frame, "frames with a bad Ethernet, IP or UDP header")                            \
    X(drop_tx, "frames or datagrams a transmit queue refused")

enum class counter : std::uint16_t {
#define SHARDGATE_COUNTER_ENUM(name, desc) name,
    SHARDGATE_COUNTERS(SHARDGATE_COUNTER_ENUM)
#undef SHARDGATE_COUNTER_ENUM
};

inline constexpr std::size_t counter_count = 0
#define SHARDGATE_COUNTER_ONE(name, desc) +1
    SHARDGATE_COUNTERS(SHARDGATE_COUNTER_ONE)
#undef SHARDGATE_COUNTER_ONE
    ;

struct counter_info {
    std::string_view name;
    std::string_view description;
};

inline constexpr std::array<counter_info, counter_count> counter_infos{{
#define SHARDGATE_COUNTER_INFO(name, desc) {#name, desc},
    SHARDGATE_COUNTERS(SHARDGATE_COUNTER_INFO)
#undef SHARDGATE_COUNTER_INFO
}};

[[nodiscard]] constexpr const counter_info& info(counter c) noexcept {
    return counter_infos[static_cast<std::size_t>(c)];
}

/// One core's counters. alignas(64): a block is written by one core only, and
/// must not share a cache line with another core's block (false sharing).
class alignas(64) counter_block {
public:
    /// Adds n. Only the owning core may call it. A relaxed load and store (no
    /// read-modify-write, no lock prefix) is enough because there is one writer;
    /// readers see a value that is at most a burst old.
    void add(counter c, std::uint64_t n = 1) noexcept {
        auto& v = values_[static_cast<std::size_t>(c)];
        v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    /// Any thread.
    [[nodiscard]] std::uint64_t get(counter c) const noexcept {
        return values_[static_cast<std::size_t>(c)].load(std::memory_order_relaxed);
    }

private:
    std::array<std::atomic<std::uint64_t>, counter_count> values_{};
};

} // namespace shardgate
