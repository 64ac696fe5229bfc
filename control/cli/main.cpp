// shardgate: the router's command-line entry point. Dispatches to one
// subcommand; every subcommand owns its flags and its --help.
#include <cstdio>
#include <string_view>
#include <vector>

#include "control/cli/commands.hpp"

namespace shardgate::cli {
// Defined in control/cli/<name>.cpp; the table below is the one list.
} // namespace shardgate::cli

namespace {

using shardgate::cli::command;

// Filled by the subcommands this build has; keep in the order --help prints.
const command commands[] = {
    {"run", "route records from the configured sources to the partitions' sinks", shardgate::cli::run_main},
    {"check", "validate a config and its query; print the plan without running", shardgate::cli::check_main},
    {"explain", "print the partitioning plan a query needs, and why", shardgate::cli::explain_main},
};

void usage(std::FILE* out) {
    std::fprintf(out, "usage: shardgate <command> [options]\n\n"
                      "shardgate routes records to N output partitions so that records the\n"
                      "downstream SQL query must see together land together.\n\ncommands:\n");
    for (const auto& c : commands)
        std::fprintf(out, "  %-10.*s %.*s\n", int(c.name.size()), c.name.data(), int(c.summary.size()),
                     c.summary.data());
    std::fprintf(out, "\n'shardgate <command> --help' describes a command's options; "
                      "'shardgate --version' prints the version.\n");
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const std::string_view name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        usage(stdout);
        return 0;
    }
    if (name == "--version") {
        std::puts("shardgate " SHARDGATE_VERSION);
        return 0;
    }
    const std::vector<std::string_view> args(argv + 2, argv + argc);
    for (const auto& c : commands)
        if (c.name == name) return c.run(args);
    std::fprintf(stderr, "shardgate: unknown command '%.*s' (see 'shardgate --help')\n", int(name.size()),
                 name.data());
    return 2;
}
