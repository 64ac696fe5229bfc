#pragma once
/// What `run` and `check` share: load the TOML config, take the query (from
/// the command line or the config), plan it with what the config says.

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "control/plan/planner.hpp"
#include "shardgate/config.hpp"
#include "shardgate/plan.hpp"

namespace shardgate::cli {

struct loaded_setup {
    config cfg;
    plan the_plan;
};

/// The planner's inputs a config gives (N, strategy, hash, seed, key
/// groups, fan_in target, declared source partitioning, per-source order).
[[nodiscard]] control::planner_inputs planner_inputs_from(const config& cfg);

/// Loads `config_path`, replaces its query with the file `query_path` when
/// given ("-" = standard input) and plans it. Throws control::config_error,
/// sql::parse_error, control::plan_error or std::runtime_error (no query,
/// unreadable file), each with a message naming the file.
[[nodiscard]] loaded_setup load_and_plan(const std::string& config_path,
                                         const std::optional<std::string>& query_path);

/// "--flag=value" as two arguments, so every command takes both spellings.
[[nodiscard]] std::vector<std::string_view> split_flag_values(std::span<const std::string_view> args);

/// Reads a whole file ("-" = standard input). Throws std::runtime_error naming it.
[[nodiscard]] std::string read_text_file(const std::string& path);

/// Runs `body`, turning every known error into one line on stderr prefixed
/// with `command` and the exit code 2 (bad input: TOML, SQL, plan, usage) or
/// 1 (runtime failure: a socket, a file, a thread).
int guarded(const char* command, const std::function<int()>& body);

} // namespace shardgate::cli
