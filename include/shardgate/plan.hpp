#pragma once
/// The plan: what the control plane decided and the dataplane executes.
/// Immutable once built; a new plan replaces an old one by epoch.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shardgate/hash.hpp"
#include "shardgate/ids.hpp"
#include "shardgate/key_expr.hpp"
#include "shardgate/strategy.hpp"

namespace shardgate {

enum class query_kind : std::uint8_t { select, create_stream, create_table };

[[nodiscard]] constexpr std::string_view to_string(query_kind k) noexcept {
    switch (k) {
    case query_kind::select: return "select";
    case query_kind::create_stream: return "create_stream";
    case query_kind::create_table: return "create_table";
    }
    return "?";
}

/// Where the strategy choice came from, highest precedence first.
enum class strategy_origin : std::uint8_t { annotation, with_property, config, automatic };

[[nodiscard]] constexpr std::string_view to_string(strategy_origin o) noexcept {
    switch (o) {
    case strategy_origin::annotation: return "annotation";
    case strategy_origin::with_property: return "with_property";
    case strategy_origin::config: return "config";
    case strategy_origin::automatic: return "automatic";
    }
    return "?";
}

/// One input of a JOIN and the keys its records are hashed by. Every source
/// of a join is hashed with the same function, seed and N, and the keys of
/// all sources line up position by position (orders.customer_id with
/// customers.id), so matching records meet on one partition.
struct source_keys {
    std::string source;         ///< stream or table name as the query wrote it
    std::string alias;          ///< its alias in the query, empty when none
    std::vector<key_expr> keys; ///< same length and order for every source
};

/// How a source says it was partitioned upstream (for smart_repartition).
struct source_partitioning {
    std::vector<std::string> key_columns; ///< the keys the upstream partitioner hashed
    hash_function partitioner = hash_function::kafka_murmur2;
    std::uint32_t partitions = 0; ///< P, the upstream partition count (0 = not declared)
    std::uint64_t seed = 0;       ///< xxh3 partitioner only
    std::uint32_t key_groups = 0; ///< xxh3 partitioner only; 0 = the router's
};

/// Routing parameters: everything the dataplane needs to build its router.
struct routing_params {
    strategy_kind strategy = strategy_kind::round_robin; ///< never `automatic` in a final plan
    std::vector<key_expr> keys;                          ///< routing keys, in order
    std::uint32_t partitions = 1;                        ///< N
    hash_function hash = hash_function::xxh3;
    std::uint64_t seed = 0;
    std::uint32_t key_groups = 4096; ///< power of two ≥ N (xxh3 only)
    partition_id fan_in_target{0};
    source_partitioning source;      ///< declared upstream partitioning, if any
    std::uint32_t smart_sample_every = 64; ///< smart: verify one record in this many
};

struct plan {
    routing_params routing;
    query_kind kind = query_kind::select;
    strategy_origin origin = strategy_origin::automatic;
    std::string reason;                ///< why this strategy and these keys, one or more sentences
    std::vector<std::string> warnings; ///< accepted but risky choices
    /// JOIN queries routed by key: every source's keys, FROM source first
    /// (routing.keys equals per_source[0].keys). Empty for single-source
    /// queries and for strategies that route without keys.
    std::vector<source_keys> per_source;
    std::uint64_t epoch = 0;           ///< bumps on every reprogramming
};

} // namespace shardgate
