// shardgate run: route traffic with a config and a query until stopped.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "control/cli/commands.hpp"
#include "control/cli/setup.hpp"
#include "control/plan/plan_format.hpp"
#include "control/runtime/runtime.hpp"

namespace shardgate::cli {
namespace {

constexpr const char* run_usage =
    "usage: shardgate run --config FILE [--query FILE] [--duration S] [--summary-json FILE]\n"
    "                     [--drain-timeout MS] [--ready-file FILE] [--quiet]\n"
    "\n"
    "Loads the TOML config, plans the query, pins the dataplane and egress threads to the\n"
    "configured CPUs and routes records from the sources to the partitions' sinks. Prints the\n"
    "plan, one stats line per router.stats_interval_ms, and on exit (SIGINT, SIGTERM or the\n"
    "duration) drains every ring, flushes every sink and prints the final summary.\n"
    "SIGHUP reads the config and the query again and reprograms the running cores with the\n"
    "new plan (a new query or strategy; sources, sinks, format and N need a restart).\n"
    "\n"
    "  --config FILE        the router's TOML configuration (docs/configuration.md)\n"
    "  --query FILE         the streaming SQL query ('-' = standard input); overrides the\n"
    "                       config's router.query_file / router.query\n"
    "  --duration S         stop by itself after S seconds (default: run until a signal)\n"
    "  --summary-json FILE  write the final summary as one JSON object to FILE (plan, every\n"
    "                       counter, per-partition counts, whether the counts reconcile)\n"
    "  --drain-timeout MS   longest a stop may spend draining before counting what is\n"
    "                       still held as dropped (default 10000)\n"
    "  --ready-file FILE    write FILE (each source's bound port, one per line) once every\n"
    "                       socket is bound and every thread runs: scripts wait for it.\n"
    "                       A FILE left by an earlier run is removed at start; FILE.tmp\n"
    "                       is where FILE is written before it is renamed into place\n"
    "  --quiet              no live stats lines\n"
    "  --help               this text\n"
    "\n"
    "exit status: 0 clean stop with every record accounted for, 1 runtime failure or\n"
    "counts that do not reconcile, 2 bad config, query or flags (one line on stderr)\n";

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

extern "C" void on_signal(int) { g_stop.store(true, std::memory_order_release); }
extern "C" void on_hangup(int) { g_reload.store(true, std::memory_order_release); }

int usage_error(const std::string& m) {
    std::fprintf(stderr, "shardgate run: %s (see 'shardgate run --help')\n", m.c_str());
    return 2;
}

bool parse_number(std::string_view text, double& out) {
    const std::string t(text);
    char* end = nullptr;
    errno = 0;
    out = std::strtod(t.c_str(), &end);
    return !t.empty() && end == t.c_str() + t.size() && errno == 0 && out >= 0;
}

} // namespace

int run_main(std::span<const std::string_view> raw_args) {
    const std::vector<std::string_view> args = split_flag_values(raw_args);
    std::optional<std::string> config_path, query_path;
    control::run_options options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        auto value = [&](std::string_view flag) -> std::optional<std::string_view> {
            if (i + 1 >= args.size()) return std::nullopt;
            (void)flag;
            return args[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(run_usage, stdout);
            return 0;
        } else if (a == "--quiet") {
            options.live_stats = false;
        } else if (a == "--config" || a == "--query" || a == "--duration" || a == "--summary-json" ||
                   a == "--drain-timeout" || a == "--ready-file") {
            const auto v = value(a);
            if (!v) return usage_error(std::string(a) + " needs a value");
            if (a == "--config")
                config_path = std::string(*v);
            else if (a == "--query")
                query_path = std::string(*v);
            else if (a == "--summary-json")
                options.summary_json = std::string(*v);
            else if (a == "--ready-file")
                options.ready_file = std::string(*v);
            else {
                double d = 0;
                if (!parse_number(*v, d))
                    return usage_error(std::string(a) + " expects a non-negative number, got '" +
                                       std::string(*v) + "'");
                if (a == "--duration")
                    options.duration_s = d;
                else if (d > 3600000)
                    return usage_error("--drain-timeout is at most 3600000 ms");
                else
                    options.drain_timeout_ms = static_cast<std::uint32_t>(d);
            }
        } else {
            return usage_error("unexpected argument '" + std::string(a) + "'");
        }
    }
    if (!config_path) return usage_error("--config FILE is required");
    return guarded("run", [&] {
        const loaded_setup s = load_and_plan(*config_path, query_path);
        // Files the run writes are checked now, not after the run.
        if (!options.summary_json.empty()) {
            std::FILE* f = std::fopen(options.summary_json.c_str(), "a");
            if (!f)
                throw std::invalid_argument("cannot write '" + options.summary_json +
                                            "': " + std::strerror(errno));
            std::fclose(f);
        }
        if (!options.ready_file.empty()) control::prepare_ready_file(options.ready_file);
        control::runtime rt(s.cfg, s.the_plan);
        // The runtime's plan: the query's plan plus what the runtime warns about.
        std::printf("%s", control::format_plan_text(rt.current_plan()).c_str());
        std::printf(
            "routing %u partitions with %zu dataplane core(s) and %zu egress thread(s); %zu source(s)\n",
            s.the_plan.routing.partitions, s.cfg.router.dataplane_cpus.size(),
            s.cfg.router.egress_cpus.size(), s.cfg.sources.size());
        std::fflush(stdout);
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        // A second SIGINT/SIGTERM kills at once (a drain, or a setup step
        // stuck in a blocking open, is then abandoned).
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);
        sa.sa_handler = on_hangup;
        sa.sa_flags = 0;
        sigaction(SIGHUP, &sa, nullptr);
        std::signal(SIGPIPE, SIG_IGN);
        // SIGHUP: read the config and the query again and reprogram the cores
        // with the new plan. Sources, sinks, format and N are fixed while running.
        options.reload_requested = &g_reload;
        options.reload = [&]() -> plan {
            if (query_path && *query_path == "-")
                throw std::invalid_argument(
                    "the query came from standard input, which cannot be read again: "
                    "run with --query FILE (or the config's query_file) to reload it");
            loaded_setup next = load_and_plan(*config_path, query_path);
            const config& a = s.cfg;
            const config& b = next.cfg;
            // What a reload cannot change: refused, naming each part.
            std::string fixed;
            auto check = [&](bool same, const char* what) {
                if (!same) fixed += (fixed.empty() ? "" : ", ") + std::string(what);
            };
            check(a.format == b.format, "[format]");
            check(a.sources == b.sources, "[[sources]]");
            check(a.sinks == b.sinks && a.datagram_bytes == b.datagram_bytes, "[sinks]");
            check(a.dead_letter == b.dead_letter, "sinks.dead_letter");
            check(a.dpdk == b.dpdk, "[dpdk]");
            check(a.router.partitions == b.router.partitions, "router.partitions");
            check(a.router.dataplane_cpus == b.router.dataplane_cpus &&
                      a.router.egress_cpus == b.router.egress_cpus,
                  "router.dataplane_cpus/egress_cpus");
            if (!fixed.empty())
                throw std::invalid_argument(fixed + " changed: that needs a restart (a reload applies a new "
                                                    "query, strategy, hash or seed)");
            // Router tuning keys are read at start only: say so rather than
            // pretend they changed.
            router_config ra = a.router, rb = b.router;
            // The keys a reload does apply (through the plan) do not count.
            rb.strategy = ra.strategy;
            rb.hash = ra.hash;
            rb.seed = ra.seed;
            rb.key_groups = ra.key_groups;
            rb.fan_in_target = ra.fan_in_target;
            rb.per_source_order = ra.per_source_order;
            rb.smart_sample_every = ra.smart_sample_every;
            rb.query_text = ra.query_text;
            rb.query_origin = ra.query_origin;
            if (!(ra == rb))
                std::fprintf(stderr,
                             "shardgate run: reload: router tuning keys (burst, rings, deadlines, idle, "
                             "backpressure, stats) take effect at the next start only\n");
            return next.the_plan;
        };
        return rt.run(options, g_stop);
    });
}

} // namespace shardgate::cli
