// shardgate check: validate a config and its query, print what would run.
#include <cstdio>
#include <optional>
#include <string>

#include "control/cli/commands.hpp"
#include "control/cli/setup.hpp"
#include "control/config/config_loader.hpp"
#include "control/plan/plan_format.hpp"
#include "control/runtime/runtime.hpp"

namespace shardgate::cli {
namespace {

constexpr const char* check_usage =
    "usage: shardgate check --config FILE [--query FILE] [--json]\n"
    "       shardgate check --keys\n"
    "\n"
    "Loads and validates the TOML config and its query exactly as 'shardgate run' would\n"
    "(every key, the query, the plan, routing key fields against the record format) and\n"
    "prints the plan and what would run, without opening a socket. What only DPDK itself can\n"
    "tell (EAL arguments, whether a device probes, its queue limits) is found by 'run' alone.\n"
    "\n"
    "  --config FILE  the router's TOML configuration\n"
    "  --query FILE   the query ('-' = standard input), instead of the config's\n"
    "  --json         print one JSON object: {\"config\", \"partitions\", \"sources\", \"lane_bytes\",\n"
    "                 \"plan\": the plan as 'explain --json' prints it, warnings included}\n"
    "  --keys         list every configuration key with its type, default, bounds and meaning\n"
    "  --help         this text\n"
    "\n"
    "exit status: 0 valid, 2 invalid (one line on stderr: what is wrong and, for a key of the\n"
    "config, its file, line and name)\n";

int usage_error(const std::string& m) {
    std::fprintf(stderr, "shardgate check: %s (see 'shardgate check --help')\n", m.c_str());
    return 2;
}

std::string sink_list(const config& cfg) {
    std::string out;
    const std::size_t shown = std::min<std::size_t>(cfg.sinks.size(), 4);
    for (std::size_t p = 0; p < shown; ++p) out += (p ? ", " : "") + cfg.sinks[p].uri;
    if (cfg.sinks.size() > shown) out += ", ... " + cfg.sinks.back().uri;
    return out;
}

} // namespace

int check_main(std::span<const std::string_view> raw_args) {
    const std::vector<std::string_view> args = split_flag_values(raw_args);
    std::optional<std::string> config_path, query_path;
    bool json = false, keys = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        if (a == "--help" || a == "-h") {
            std::fputs(check_usage, stdout);
            return 0;
        } else if (a == "--json") {
            json = true;
        } else if (a == "--keys") {
            keys = true;
        } else if (a == "--config" || a == "--query") {
            if (i + 1 >= args.size()) return usage_error(std::string(a) + " needs a value");
            (a == "--config" ? config_path : query_path) = std::string(args[++i]);
        } else {
            return usage_error("unexpected argument '" + std::string(a) + "'");
        }
    }
    if (keys) {
        for (const auto& k : control::config_keys())
            std::printf("%-36s %-18s default %-14s %s%s%s\n", k.path.c_str(), k.type.c_str(),
                        k.default_value.c_str(), k.description.c_str(), k.bounds.empty() ? "" : "; ",
                        k.bounds.c_str());
        return 0;
    }
    if (!config_path) return usage_error("--config FILE is required");
    return guarded("check", [&] {
        loaded_setup s = load_and_plan(*config_path, query_path);
        for (auto& w : control::runtime::validate(s.cfg, s.the_plan))
            s.the_plan.warnings.push_back(std::move(w));
        if (json) {
            std::string plan_json = control::format_plan_json(s.the_plan);
            while (!plan_json.empty() && plan_json.back() == '\n') plan_json.pop_back();
            const std::string path = control::json_string(s.cfg.path);
            std::printf(
                "{\"config\":%s,\"partitions\":%u,\"sources\":%zu,\"dataplane_cores\":%zu,"
                "\"egress_threads\":%zu,\"lane_bytes\":%llu,\"decoder_bytes\":%llu,\"plan\":%s}\n",
                path.c_str(), s.the_plan.routing.partitions, s.cfg.sources.size(),
                s.cfg.router.dataplane_cpus.size(), s.cfg.router.egress_cpus.size(),
                static_cast<unsigned long long>(control::runtime::lane_memory_bytes(s.cfg)),
                static_cast<unsigned long long>(control::runtime::decoder_memory_bytes(s.cfg, s.the_plan)),
                plan_json.c_str());
            return 0;
        }
        std::printf("config %s: valid\n", s.cfg.path.c_str());
        std::printf("  query       %s\n", s.cfg.router.query_origin.c_str());
        std::printf("  format      %s%s\n", std::string(to_string(s.cfg.format.kind)).c_str(),
                    s.cfg.format.kind == format_kind::fixed
                        ? (" (" + std::to_string(s.cfg.format.record_size) + "-byte records)").c_str()
                        : "");
        for (const auto& src : s.cfg.sources)
            std::printf("  source      %s: %s %s on core %u\n", src.name.c_str(),
                        std::string(to_string(src.kind)).c_str(), src.bind.to_string().c_str(), src.core);
        std::printf("  sinks       %s\n", sink_list(s.cfg).c_str());
        if (s.cfg.dead_letter) std::printf("  dead letter %s\n", s.cfg.dead_letter->uri.c_str());
        std::printf("  lanes       %.1f MiB (%u blocks per partition per dataplane core)\n",
                    static_cast<double>(control::runtime::lane_memory_bytes(s.cfg)) / (1 << 20),
                    s.cfg.router.ring_blocks);
        std::printf(
            "  decoders    %.1f MiB (one per source, measured; twice that while a new plan is installed)\n",
            static_cast<double>(control::runtime::decoder_memory_bytes(s.cfg, s.the_plan)) / (1 << 20));
        if (const std::string pool = control::runtime::dpdk_pool_text(s.cfg); !pool.empty())
            std::printf("  dpdk pool   %s\n", pool.c_str());
        std::printf("%s", control::format_plan_text(s.the_plan).c_str());
        return 0;
    });
}

} // namespace shardgate::cli
