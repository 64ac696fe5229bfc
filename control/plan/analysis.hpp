#pragma once
/// Partitioning analysis: what distribution a query needs (ARCHITECTURE.md,
/// "Automatic selection") and which routing keys provide it. The planner
/// (planner.hpp) turns this into a strategy.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "control/sql/ast.hpp"
#include "shardgate/plan.hpp"

namespace shardgate::control {

enum class required_distribution : std::uint8_t {
    none,             ///< stateless: no two records need to meet
    keys,             ///< records with equal routing key values must meet
    source_partition, ///< records of one source partition must meet (GROUP BY _partition)
    everything,       ///< every record must reach one partition
};

[[nodiscard]] std::string_view to_string(required_distribution d) noexcept;

struct analysis {
    required_distribution required = required_distribution::none;
    /// required == keys: the FROM source's routing keys, in order. Routing by
    /// them keeps together everything the query needs together.
    std::vector<key_expr> keys;
    /// JOIN with required == keys: every input's keys, FROM first.
    std::vector<source_keys> per_source;
    bool join = false;
    /// What needs locality, in a few words ("GROUP BY symbol",
    /// "COUNT(*) without GROUP BY"); empty when stateless.
    std::string requirement;
    /// Why: the requirements found, keys left out and why, the keys chosen.
    std::string reason;
    std::vector<std::string> warnings;
};

/// Analyses `st` (for CREATE STREAM|TABLE, its SELECT). Throws plan_error
/// (planner.hpp) for a query that cannot be analysed: an unknown or
/// ambiguous stream qualifier, a GROUP BY position out of range, two inputs
/// with the same name and no aliases. Control plane only; roughly linear in
/// the query size.
[[nodiscard]] analysis analyse(const sql::statement& st);

} // namespace shardgate::control
