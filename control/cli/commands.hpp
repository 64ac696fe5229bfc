#pragma once
/// The `shardgate` subcommands. Each takes the arguments after its name and
/// returns the process exit code: 0 success, 1 runtime failure, 2 bad input
/// (usage, SQL, TOML), with one clear line on stderr.

#include <span>
#include <string_view>

namespace shardgate::cli {

using command_fn = int (*)(std::span<const std::string_view> args);

struct command {
    std::string_view name;
    std::string_view summary;
    command_fn run;
};

/// `shardgate explain [--json] [--partitions N] [--strategy NAME] FILE|-`
/// (control/cli/explain.cpp): prints a query's partitioning plan.
int explain_main(std::span<const std::string_view> args);

/// `shardgate check --config FILE [--query FILE] [--json] | --keys`
/// (control/cli/check.cpp): validates a config and its query.
int check_main(std::span<const std::string_view> args);

/// `shardgate run --config FILE [--query FILE] [--duration S] ...`
/// (control/cli/run.cpp): routes traffic until stopped.
int run_main(std::span<const std::string_view> args);

} // namespace shardgate::cli
