#pragma once
/// The planner: a query (and what the TOML config contributes) → the plan
/// the dataplane executes, with its reason. Explicit strategy choices win
/// in this order: `-- @partitioning_strategy:` annotation, WITH
/// ('partitioning_strategy'=...), the config's partitioning_strategy, then
/// automatic selection from the analysis (analysis.hpp). The partition
/// count N: partitions_override (the command line) > `-- @num_partitions:`
/// > WITH ('num_partitions'=...) > planner_inputs::partitions.

#include <cstdint>
#include <optional>
#include <string_view>

#include "control/plan/analysis.hpp"
#include "control/plan/plan_error.hpp"
#include "control/sql/ast.hpp"
#include "control/sql/parse_error.hpp"
#include "shardgate/hash.hpp"
#include "shardgate/ids.hpp"
#include "shardgate/plan.hpp"
#include "shardgate/strategy.hpp"

namespace shardgate::control {

/// What the TOML config (and the command line) contribute to a plan.
struct planner_inputs {
    std::uint32_t partitions = 8; ///< N, unless the query or the override sets it
    std::optional<strategy_kind>
        config_strategy; ///< TOML partitioning_strategy (nullopt or automatic = auto)
    hash_function hash = hash_function::xxh3;
    std::uint64_t seed = 0;
    std::uint32_t key_groups = 4096; ///< power of two ≥ N
    partition_id fan_in_target{0};   ///< must be < N when fan_in is chosen
    source_partitioning source;      ///< declared upstream partitioning (smart_repartition)
    bool per_source_order = false;   ///< stateless queries keep per-source order → sticky_partition
    /// N typed by the operator (`explain --partitions`): wins over the query.
    std::optional<std::uint32_t> partitions_override;
};

/// Plans a parsed statement. The result's routing.strategy is never
/// `automatic`; hashing strategies have at least one key and every key's
/// program is well formed (key_translate.hpp). Throws plan_error for an
/// explicit strategy that would break the query (round_robin, always_hash or
/// smart_repartition where records must meet), a bad strategy name or
/// partition count, a fan_in target ≥ N, or what analyse() refuses.
/// Control plane only (allocates).
[[nodiscard]] plan plan_statement(const sql::statement& st, const planner_inputs& in);

/// Parses and plans `sql`. Throws sql::parse_error or plan_error.
[[nodiscard]] plan plan_query(std::string_view sql, const planner_inputs& in);

} // namespace shardgate::control
