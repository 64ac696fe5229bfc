#pragma once
/// A plan as people and programs read it: `shardgate explain` prints
/// format_plan_text, `explain --json` prints format_plan_json (the JSON
/// format is specified in docs/sql.md). Free of CLI concerns, so other
/// commands (`shardgate check`) reuse both.

#include <string>
#include <string_view>

#include "shardgate/plan.hpp"

namespace shardgate::control {

/// Several lines, each "label: value", ending with a newline.
[[nodiscard]] std::string format_plan_text(const plan& p);

/// Exactly one JSON object on one line, ending with a newline. Fields:
/// query_kind, strategy, origin, routing_keys, key_programs, source_keys
/// (JOIN only), partitions, hash, seed, key_groups, fan_in_target,
/// source_partitioning (when declared), reason, warnings.
[[nodiscard]] std::string format_plan_json(const plan& p);

/// `s` as a JSON string literal (quotes included). Bytes that are not valid
/// UTF-8 become U+FFFD, so the output is always valid JSON.
[[nodiscard]] std::string json_string(std::string_view s);

} // namespace shardgate::control
