// shardgate explain: parse a query, plan it, print the plan and why.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>

#include "control/cli/commands.hpp"
#include "control/cli/setup.hpp"
#include "control/plan/plan_format.hpp"
#include "control/plan/planner.hpp"
#include "control/sql/parse_error.hpp"

namespace shardgate::cli {
namespace {

constexpr const char* explain_usage =
    "usage: shardgate explain [--json] [--partitions N] [--strategy NAME] FILE|-\n"
    "\n"
    "Parses the streaming SQL query in FILE (or standard input for '-'), derives the\n"
    "distribution it needs and prints the partitioning plan: strategy, routing keys,\n"
    "reason and warnings.\n"
    "\n"
    "  --json           print exactly one JSON object (format: docs/sql.md)\n"
    "  --partitions N   number of output partitions; wins over the query's\n"
    "                   @num_partitions annotation and WITH 'num_partitions' (default 8)\n"
    "  --strategy NAME  acts as the configuration's partitioning_strategy; the query's\n"
    "                   annotation and WITH property still win. NAME: always_hash (hash,\n"
    "                   alwayshash), smart_repartition (smart), round_robin (roundrobin, rr),\n"
    "                   sticky_partition (sticky), fan_in (fanin), auto\n"
    "  --help           this text\n"
    "\n"
    "exit status: 0 planned, 2 usage, input, parse or planning error (one line on stderr)\n";

int usage_error(const std::string& message) {
    std::fprintf(stderr, "shardgate explain: %s (see 'shardgate explain --help')\n", message.c_str());
    return 2;
}

} // namespace

int explain_main(std::span<const std::string_view> args) {
    bool json = false;
    std::optional<std::string> file;
    control::planner_inputs in;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        std::string_view value;
        bool has_value = false;
        if (a.starts_with("--") && a.find('=') != std::string_view::npos) {
            value = a.substr(a.find('=') + 1);
            a = a.substr(0, a.find('='));
            has_value = true;
        }
        auto take_value = [&]() -> std::optional<std::string_view> {
            if (has_value) return value;
            if (i + 1 >= args.size()) return std::nullopt;
            return args[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(explain_usage, stdout);
            return 0;
        } else if (a == "--json" && !has_value) {
            json = true;
        } else if (a == "--partitions") {
            const auto v = take_value();
            if (!v) return usage_error("--partitions needs a value");
            std::uint64_t n = 0;
            bool ok = !v->empty() && v->size() <= 10;
            for (char c : *v) {
                if (c < '0' || c > '9') ok = false;
                if (ok) n = n * 10 + static_cast<std::uint64_t>(c - '0');
            }
            if (!ok || n < 1 || n > max_partitions)
                return usage_error("--partitions: expected an integer in [1, " +
                                   std::to_string(max_partitions) + "], found '" + std::string(*v) + "'");
            in.partitions_override = static_cast<std::uint32_t>(n);
        } else if (a == "--strategy") {
            const auto v = take_value();
            if (!v) return usage_error("--strategy needs a value");
            try {
                in.config_strategy = parse_strategy(*v);
            } catch (const std::invalid_argument& e) {
                return usage_error(std::string("--strategy: ") + e.what());
            }
        } else if (a.size() > 1 && a.front() == '-') {
            return usage_error("unknown option '" + std::string(args[i]) + "'");
        } else {
            if (file)
                return usage_error("one query file expected, got '" + *file + "' and '" + std::string(a) +
                                   "'");
            file = std::string(a);
        }
    }
    if (!file) return usage_error("missing query FILE (or '-' for standard input)");

    std::string sql;
    try {
        sql = read_text_file(*file);
    } catch (const std::runtime_error& e) {
        std::fprintf(stderr, "shardgate explain: %s\n", e.what());
        return 2;
    }
    const std::string where = *file == "-" ? "<stdin>" : *file;
    try {
        const plan p = control::plan_query(sql, in);
        const std::string out = json ? control::format_plan_json(p) : control::format_plan_text(p);
        std::fwrite(out.data(), 1, out.size(), stdout);
        if (std::fflush(stdout) != 0) {
            std::fprintf(stderr, "shardgate explain: cannot write the plan: %s\n", std::strerror(errno));
            return 1;
        }
        return 0;
    } catch (const sql::parse_error& e) {
        std::fprintf(stderr, "shardgate explain: %s: %s\n", where.c_str(), e.what());
    } catch (const control::plan_error& e) {
        std::fprintf(stderr, "shardgate explain: %s: %s\n", where.c_str(), e.what());
    }
    return 2;
}

} // namespace shardgate::cli
