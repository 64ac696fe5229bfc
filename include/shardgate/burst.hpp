#pragma once
/// A burst of records in structure-of-arrays form: each pipeline stage (decode,
/// key, hash, route, scatter) walks one array for the whole burst.

#include <array>
#include <cstddef>
#include <cstdint>

#include "shardgate/ids.hpp"
#include "shardgate/record.hpp"

namespace shardgate {

/// Largest burst any stage handles. Configured burst sizes are bounded by it.
inline constexpr std::size_t max_burst = 256;

/// Per-record key state, set by key extraction.
enum class key_status : std::uint8_t {
    ok = 0,
    missing,   ///< a routing key field is absent from the record
    oversized, ///< the canonical key does not fit the key arena
    bad_value, ///< a key expression could not be evaluated (CAST of "abc")
};

/// One burst. Owned by a dataplane core, reused for every burst (no allocation
/// after start); `size` records are valid, indices [0, size).
struct record_burst {
    std::uint32_t size = 0;
    std::array<record_view, max_burst> records;
    // Metadata: filled in only when the core asked its decoder for it
    // (record_decoder::set_metadata); otherwise unspecified.
    std::array<source_partition, max_burst> source_partitions;
    std::array<std::uint64_t, max_burst> sequences;  ///< 0 when the format has none
    std::array<std::int64_t, max_burst> event_times; ///< 0 when the format has none
    std::array<key_ref, max_burst> keys;            ///< valid after key extraction
    std::array<key_status, max_burst> key_states;
    std::array<std::uint64_t, max_burst> hashes; ///< valid after hashing
};

} // namespace shardgate
