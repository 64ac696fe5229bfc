#pragma once
/// When smart_repartition's fast path is exact: the check shared by the
/// planner (which picks smart_repartition only when it holds) and the router
/// (which builds its source-partition map only when it holds). Pure and
/// header-only so the control plane can use it without the dataplane library.

#include <cstdint>
#include <string>

#include "shardgate/hash.hpp"
#include "shardgate/ids.hpp"
#include "shardgate/partition_table.hpp"
#include "shardgate/plan.hpp"
#include "shardgate/strategy.hpp"

namespace shardgate {

/// Why a declared source partitioning is not aligned with the plan's routing
/// (empty when it is): smart_repartition's fast path is exact only when the
/// source hashed the same key columns with our partition function (same hash,
/// seed and key groups) into P partitions and N divides P. Key columns are
/// compared case-insensitively. Any thread; control plane only (allocates).
[[nodiscard]] inline std::string smart_alignment_problem(const routing_params& p) {
    const std::uint32_t plan_groups = p.key_groups ? p.key_groups : partition_table::default_key_groups;
    const source_partitioning& s = p.source;
    if (s.partitions == 0) return "the source declares no partitioning";
    if (s.partitioner != p.hash)
        return "the source was partitioned with " + std::string(to_string(s.partitioner)) +
               " but the plan hashes with " + std::string(to_string(p.hash));
    if (p.partitions == 0 || s.partitions % p.partitions != 0)
        return "N=" + std::to_string(p.partitions) +
               " does not divide the source's P=" + std::to_string(s.partitions);
    if (s.partitions > max_partitions + 1u)
        return "the source's P=" + std::to_string(s.partitions) + " exceeds " +
               std::to_string(max_partitions);
    if (p.hash == hash_function::xxh3) {
        if (s.seed != p.seed) return "the source's xxh3 seed differs from the plan's";
        const std::uint32_t groups = s.key_groups ? s.key_groups : plan_groups;
        if (groups != plan_groups) return "the source's key-group count differs from the plan's";
        if (s.partitions > groups) return "the source's P exceeds the key-group count";
    }
    if (s.key_columns.size() != p.keys.size()) return "the source's key columns differ from the routing keys";
    for (std::size_t i = 0; i < p.keys.size(); ++i)
        if (!p.keys[i].is_plain_column() || !detail::iequals(p.keys[i].text, s.key_columns[i]))
            return "the source's key columns differ from the routing keys";
    return {};
}

} // namespace shardgate
