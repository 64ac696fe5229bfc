#pragma once
/// The route stage: one plan's strategy applied to whole bursts. One dispatch
/// per burst (std::visit on the strategy variant), never a virtual call per
/// record; no allocation, lock or exception after construction.

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "shardgate/burst.hpp"
#include "shardgate/counters.hpp"
#include "shardgate/hash.hpp"
#include "shardgate/ids.hpp"
#include "shardgate/partition_table.hpp"
#include "shardgate/plan.hpp"
#include "shardgate/smart_alignment.hpp"

namespace shardgate {

/// Where a record's key lies when it is one str field of a fixed layout:
/// `size` bytes at `offset`, NUL-padded. size 0: no such field.
struct field_key {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
};

/// Fills routing keys for records of a burst. Implemented by the decoders,
/// which know the record format; the router calls it once per burst, only for
/// the records whose key it needs (smart_repartition's fast path needs none).
class key_extractor {
public:
    virtual ~key_extractor() = default;
    /// For each i in `indices` (ascending, < burst.size) set burst.keys[i] and
    /// burst.key_states[i]; keys[i] must be {} when the state is not ok.
    virtual void extract_keys(record_burst& burst, std::span<const std::uint16_t> indices) noexcept = 0;
    /// The same for every record [0, burst.size).
    virtual void extract_all_keys(record_burst& burst) noexcept = 0;
    /// extract_all_keys, except that when every key is one str field of the
    /// record (fixed layout, NUL-padded, at most 16 bytes) the extractor may
    /// return where that field is instead: the hash then reads each key from
    /// its record (partition_function::hash_fields), and burst.keys and
    /// burst.key_states are left as they were (such a key is always present
    /// and ok). Returns {} when it extracted the keys.
    virtual field_key extract_all_keys_or_field(record_burst& burst) noexcept {
        extract_all_keys(burst);
        return {};
    }
};

/// Hash → partition for the plan's hash function: xxh3 through the key-group
/// table, or Kafka's (murmur2 & 0x7fffffff) % N.
class partition_function {
public:
    explicit partition_function(const routing_params& p);

    /// Hashes keys[i] into hashes[i] (keys with a state other than ok hash as empty).
    void hash(std::span<const key_ref> keys, std::span<std::uint64_t> hashes) const noexcept;
    /// hashes[i] = the hash of records[i]'s key `field` (see field_key).
    void hash_fields(std::span<const record_view> records, field_key field,
                     std::span<std::uint64_t> hashes) const noexcept;
    /// out[i] = (*this)(hashes[i]); for xxh3 eight hashes per vector where
    /// the CPU has AVX-512 (partition_burst). out.size() >= hashes.size().
    void partitions(std::span<const std::uint64_t> hashes, std::span<partition_id> out) const noexcept;
    [[nodiscard]] partition_id operator()(std::uint64_t hash) const noexcept {
        if (kind_ == hash_function::xxh3) return table_(hash);
        return partition_id{kafka_partition_of(static_cast<std::uint32_t>(hash), partitions_)};
    }
    [[nodiscard]] std::uint32_t partitions() const noexcept { return partitions_; }
    [[nodiscard]] hash_function kind() const noexcept { return kind_; }
    [[nodiscard]] const partition_table& table() const noexcept { return table_; }

private:
    hash_function kind_;
    std::uint64_t seed_;
    std::uint32_t partitions_;
    partition_table table_;
};

// smart_alignment_problem(routing_params) lives in shardgate/smart_alignment.hpp
// (shared with the control plane's planner).

namespace route {

struct always_hash {
    partition_function fn;
};

struct smart_repartition {
    partition_function fn;
    std::vector<std::uint16_t> fast_map; ///< source partition → partition; empty when not aligned
    std::uint32_t sample_every;          ///< verify one record in this many
    std::uint32_t countdown;             ///< records until the next sample
    bool fallen_back;                    ///< a sample contradicted the fast path: hash from now on
};

struct round_robin {
    std::uint32_t partitions;
    std::uint32_t next; ///< per router, so per core: no shared counter
};

struct sticky_partition {
    std::uint32_t partitions;
    std::vector<std::uint16_t> table; ///< source partition → partition; empty when P undeclared
};

struct fan_in {
    partition_id target;
};

} // namespace route

class router {
public:
    /// Builds the strategy from the plan's routing parameters. Throws
    /// std::invalid_argument for a plan it cannot execute (strategy auto,
    /// fan_in target ≥ N, N out of range, keys missing for a hashing strategy).
    explicit router(const routing_params& params);

    /// Routes records [0, burst.size) into out[0, burst.size): a partition, or
    /// invalid_partition for a record that must not reach one (its reason is
    /// counted: missing/bad key, bad source partition). Returns the number of
    /// records given a valid partition. Only the owning core may call it.
    /// Precondition: out.size() >= burst.size.
    std::size_t route_burst(record_burst& burst, key_extractor& keys, std::span<partition_id> out,
                            counter_block& counters) noexcept;

    [[nodiscard]] strategy_kind kind() const noexcept;
    [[nodiscard]] std::uint32_t partitions() const noexcept { return partitions_; }
    /// True when the strategy reads burst.source_partitions (sticky_partition,
    /// smart_repartition with an aligned source): the decode stage must fill
    /// them in.
    [[nodiscard]] bool reads_source_partitions() const noexcept {
        if (std::holds_alternative<route::sticky_partition>(strategy_)) return true;
        const auto* s = std::get_if<route::smart_repartition>(&strategy_);
        return s && !s->fast_map.empty();
    }
    /// True when the strategy hashes the key of every record (always_hash, or
    /// smart_repartition without an aligned source): decoders may extract
    /// keys eagerly.
    [[nodiscard]] bool hashes_every_record() const noexcept {
        if (std::holds_alternative<route::always_hash>(strategy_)) return true;
        const auto* s = std::get_if<route::smart_repartition>(&strategy_);
        return s && s->fast_map.empty();
    }
    /// smart_repartition: true while routing by source partition.
    [[nodiscard]] bool smart_fast_path_active() const noexcept;

private:
    using strategy = std::variant<route::always_hash, route::smart_repartition, route::round_robin,
                                  route::sticky_partition, route::fan_in>;
    std::uint32_t partitions_;
    strategy strategy_;
};

} // namespace shardgate
