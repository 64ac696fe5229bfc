// shardgate-dpdkbench: shardgate routing records from a DPDK port against
// dpdk-testpmd merely forwarding the same packets, in one run.
//
// Traffic: fixed 40-byte trade records, 16 per UDP packet, in a generated
// pcap that a net_pcap port replays from memory (infinite_rx=1); output goes
// to a net_null port. testpmd forwards port 0 -> port 1 in io mode on one
// forwarding lcore, once per packet burst size (32 and 64 by default); its
// best rate is the baseline. shardgate decodes every record, hashes its
// symbol, routes it to one of 8 partitions and re-packs each partition's
// records into frames of up to dpdk.payload_bytes, in three layouts: a
// dataplane core and an egress thread on two CPUs, the core polling the port
// ("two"); the same with the egress thread polling the port and relaying its
// datagrams to the core ("relay", dpdk.rx_on_egress); both loops on one CPU
// (testpmd's footprint, "one"). Prints Mpps and records/s for each and the ratio of records
// routed per second to packets testpmd forwards per second (goal: >= 4, i.e.
// shardgate's packet rate at least a quarter of testpmd's while it does all
// that per record). A benchmark: it prints, it asserts nothing.
//
// The machine is shared and its speed drifts over seconds to minutes, so
// testpmd and the layouts run in rounds, one after the other (--rounds,
// default 3): each layout's ratio is taken to testpmd's rate in its own
// round, and the summary gives the median over the rounds.
//
// Before and after a two-thread run it measures how long a cache line takes
// to go between the two CPUs and back: on a virtual machine the host may
// place the vCPUs on the same L3 (tens of ns) or not (hundreds), and move
// them at any time; the two-thread figure follows it, the one-thread figure
// does not depend on it.
//
// --ab (a build with -Dperf_knob=true) measures a change to the data path
// instead: each run flips perf_knob() (dataplane/pipeline/perf_knob.hpp) in
// 50 ms slices, off, on, on, off, ..., and prints the records routed per
// second with it off (A) and on (B) and their ratio B/A. Both share the
// host's drift, which whole runs taken in turns do not.
//
// --hugepages runs both sides on 2 MiB hugepages, which must be free: run it
// under scripts/with-hugepages 512 (root) to reserve them for the run and
// give them back after. Without it both sides run with --no-huge.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/dpdk/dpdk.hpp"
#include "dataplane/dpdk/frame.hpp"
#include "dataplane/pipeline/affinity.hpp"
#include "dataplane/pipeline/egress.hpp"
#include "dataplane/pipeline/idle.hpp"
#include "dataplane/pipeline/perf_knob.hpp"
#include "dataplane/pipeline/relay.hpp"
#include "dataplane/pipeline/worker.hpp"
#include "tools/bench/trade_format.hpp"
#include "tools/common/cli.hpp"
#include "tools/common/host.hpp"

namespace {

using namespace shardgate;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

constexpr std::uint32_t record_bytes = 40;
constexpr std::uint32_t partitions = 8;

/// shardgate's thread layouts (see the top of this file).
enum class layout { two, relay, one };

struct options {
    double seconds = 5;
    std::uint32_t rounds = 3; ///< testpmd and every layout once per round, interleaved
    std::uint32_t per_packet = 16;
    std::uint32_t packets = 4096;                      ///< distinct packets in the replayed pcap
    std::uint32_t burst = router_config{}.burst_size;  ///< router.burst_size (records)
    std::vector<std::uint32_t> testpmd_bursts{32, 64}; ///< packets per testpmd burst; its best counts
    std::uint32_t keys = 10000;
    bool hugepages = false;
    bool shardgate_only = false; ///< skip testpmd (for profiling shardgate's runs)
    bool ab = false;             ///< interleave perf_knob() off and on within each run
    std::vector<layout> layouts{layout::relay, layout::two, layout::one}; ///< shardgate's layouts to run
    int cpu_a = 0, cpu_b = 1; ///< egress / testpmd main lcore; dataplane / testpmd forwarding lcore
    std::string testpmd = "/usr/bin/dpdk-testpmd";
};

const char* name(layout how) {
    switch (how) {
    case layout::relay:
        return "relay";
    case layout::two:
        return "two";
    case layout::one:
        return "one";
    }
    return "?";
}

[[noreturn]] void usage(const std::string& why) {
    if (!why.empty()) std::fprintf(stderr, "shardgate-dpdkbench: %s\n", why.c_str());
    std::fprintf(
        stderr,
        "usage: shardgate-dpdkbench [--seconds S] [--rounds N] [--records-per-packet R] [--packets P]\n"
        "                           [--burst B] [--cpus A,B] [--hugepages] [--testpmd PATH]\n"
        "                           [--layouts LIST] [--shardgate-only] [--testpmd-bursts B1,B2,...] [--ab]\n"
        "  --seconds S             measuring time per run (default 5)\n"
        "  --rounds N              rounds of testpmd and every layout, one after the other (default 3);\n"
        "                          each layout's ratio is to testpmd's rate in the same round, and the\n"
        "                          summary gives the median over rounds\n"
        "  --records-per-packet R  40-byte records per UDP packet, 1..36 (default 16)\n"
        "  --packets P             distinct packets in the replayed capture (default 4096)\n"
        "  --burst B               records per route burst, 1..256 (default %u, router.burst_size)\n"
        "  --cpus A,B              B: testpmd's forwarding lcore and shardgate's dataplane core;\n"
        "                          A: testpmd's main lcore and shardgate's egress thread (default 0,1)\n"
        "  --hugepages             run both sides on 2 MiB hugepages (at least 256 free: reserve them\n"
        "                          for the run with scripts/with-hugepages 512 COMMAND)\n"
        "  --testpmd PATH          dpdk-testpmd (default /usr/bin/dpdk-testpmd)\n"
        "  --testpmd-bursts LIST   testpmd's packets per burst to try, its best rate is the baseline\n"
        "                          (default 32,64; DPDK's default is 32)\n"
        "  --layouts LIST          shardgate's layouts to run, of relay, two and one (default all three):\n"
        "                          relay: the egress thread polls the port and relays datagrams to the\n"
        "                          core (dpdk.rx_on_egress); two: the core polls the port, egress sends;\n"
        "                          one: both loops on CPU B\n"
        "  --shardgate-only        skip dpdk-testpmd (no ratio; for profiling)\n"
        "  --ab                    measure a data-path change behind perf_knob() (a build with\n"
        "                          -Dperf_knob=true): 50 ms slices with it off (A) and on (B) in turns\n"
        "                          within each run; prints both rates and B/A (the run's own rate and\n"
        "                          its ratio to testpmd then mix both; use --layouts one: the two-CPU\n"
        "                          layouts also follow where the host puts the vCPUs)\n",
        router_config{}.burst_size);
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        const auto number = [&](double lo, double hi) {
            const std::string v = value();
            char* end = nullptr;
            const double d = std::strtod(v.c_str(), &end);
            if (end == v.c_str() || *end != '\0' || d < lo || d > hi)
                usage(a + ": expected a number in " + std::to_string(lo) + ".." + std::to_string(hi) +
                      ", found \"" + v + "\"");
            return d;
        };
        if (a == "--seconds")
            o.seconds = number(0.5, 3600);
        else if (a == "--rounds")
            o.rounds = static_cast<std::uint32_t>(number(1, 100));
        else if (a == "--records-per-packet")
            o.per_packet = static_cast<std::uint32_t>(number(1, 36));
        else if (a == "--packets")
            o.packets = static_cast<std::uint32_t>(number(16, 65536));
        else if (a == "--burst")
            o.burst = static_cast<std::uint32_t>(number(1, 256));
        else if (a == "--hugepages")
            o.hugepages = true;
        else if (a == "--testpmd")
            o.testpmd = value();
        else if (a == "--testpmd-bursts") {
            const std::string v = value();
            o.testpmd_bursts.clear();
            for (const std::string& item : tools::split_list(v)) {
                char* end = nullptr;
                const unsigned long b = std::strtoul(item.c_str(), &end, 10);
                if (item.empty() || *end != '\0' || b < 1 || b > 512)
                    usage("--testpmd-bursts: expected packet counts 1..512 separated by commas, found \"" +
                          v + "\"");
                o.testpmd_bursts.push_back(static_cast<std::uint32_t>(b));
            }
        } else if (a == "--shardgate-only")
            o.shardgate_only = true;
        else if (a == "--ab") {
            if (!perf_knob_built)
                usage("--ab: this build has no perf_knob(); configure a build directory with "
                      "-Dperf_knob=true (meson setup build-ab -Dperf_knob=true)");
            o.ab = true;
        } else if (a == "--layouts") {
            const std::string v = value();
            o.layouts.clear();
            for (const std::string& item : tools::split_list(v)) {
                const layout all[] = {layout::relay, layout::two, layout::one};
                const auto* l =
                    std::find_if(std::begin(all), std::end(all), [&](layout x) { return item == name(x); });
                if (l == std::end(all))
                    usage("--layouts: expected relay, two or one separated by commas, found \"" + v + "\"");
                o.layouts.push_back(*l);
            }
        } else if (a == "--cpus") {
            const std::string v = value();
            if (std::sscanf(v.c_str(), "%d,%d", &o.cpu_a, &o.cpu_b) != 2 || o.cpu_a < 0 || o.cpu_b < 0 ||
                o.cpu_a == o.cpu_b)
                usage("--cpus: expected two different CPU numbers A,B, found \"" + v + "\"");
        } else if (a == "--help" || a == "-h")
            usage("");
        else
            usage("unknown flag \"" + a + "\"");
    }
    return o;
}

// ---------------------------------------------------------------- traffic

/// A pcap (µs, Ethernet) of `packets` UDP frames of `per` trade records each,
/// symbols uniform over `keys`.
void write_pcap(const fs::path& path, const options& o) {
    std::ofstream out(path, std::ios::binary);
    const std::uint32_t file_header[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    out.write(reinterpret_cast<const char*>(file_header), sizeof file_header);
    const udp_frame_template t(parse_mac("02:00:00:00:00:01", "src"), parse_mac("02:00:00:00:00:02", "dst"),
                               parse_ipv4("10.0.0.1", "src"), parse_ipv4("10.0.0.2", "dst"), 40000, 9000);
    std::mt19937_64 rng(1);
    std::map<std::uint32_t, std::uint64_t> seq;
    std::vector<std::byte> frame;
    for (std::uint32_t p = 0; p < o.packets; ++p) {
        const std::uint32_t payload = o.per_packet * record_bytes;
        frame.assign(std::max(udp_frame_header_bytes + payload, min_ethernet_frame), std::byte{0});
        t.write(frame.data(), payload, static_cast<std::uint16_t>(p), true);
        for (std::uint32_t r = 0; r < o.per_packet; ++r) {
            std::byte* rec = frame.data() + udp_frame_header_bytes + r * record_bytes;
            const auto k = static_cast<std::uint32_t>(rng() % o.keys);
            const std::uint64_t s = ++seq[k];
            const std::uint32_t source = 0;
            char symbol[12] = {};
            std::snprintf(symbol, sizeof symbol, "S%05u", k);
            const std::uint64_t trader = rng() % 100;
            const std::int64_t price = static_cast<std::int64_t>(rng() % 2'000'000);
            std::memcpy(rec, &s, 8);
            std::memcpy(rec + 8, &source, 4);
            std::memcpy(rec + 12, symbol, 12);
            std::memcpy(rec + 24, &trader, 8);
            std::memcpy(rec + 32, &price, 8);
        }
        const std::uint32_t h[4] = {p, 0, static_cast<std::uint32_t>(frame.size()),
                                    static_cast<std::uint32_t>(frame.size())};
        out.write(reinterpret_cast<const char*>(h), sizeof h);
        out.write(reinterpret_cast<const char*>(frame.data()), static_cast<std::streamsize>(frame.size()));
    }
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

// ---------------------------------------------------------------- hugepages

/// 2 MiB hugepages free now (whatever the default hugepage size).
long free_hugepages() {
    std::ifstream in("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
    long v = 0;
    in >> v;
    return v;
}

/// Free hugepages --hugepages needs (both EALs at once: shardgate's stays
/// up while testpmd runs), and how many scripts/with-hugepages should reserve.
constexpr long hugepages_needed = 256;
constexpr long hugepages_reserved = 512;

// ---------------------------------------------------------------- testpmd

struct testpmd_result {
    double seconds = 0;
    std::uint64_t rx = 0, tx = 0;
    std::string command;
};

std::uint64_t after(const std::string& text, std::size_t from, const std::string& key) {
    const auto at = text.find(key, from);
    if (at == std::string::npos) return 0;
    return std::strtoull(text.c_str() + at + key.size(), nullptr, 10);
}

/// One testpmd run forwarding `burst` packets per rx/tx burst (testpmd's
/// unit is packets; router.burst_size counts records, so it is not reused).
testpmd_result run_testpmd(const options& o, std::uint32_t burst, const fs::path& pcap, const fs::path& dir) {
    std::vector<std::string> args = {o.testpmd,
                                     "-l",
                                     std::to_string(o.cpu_a) + "," + std::to_string(o.cpu_b),
                                     "--no-pci",
                                     "--file-prefix=sgbench-testpmd-" + std::to_string(::getpid()),
                                     "--vdev=net_pcap0,rx_pcap=" + pcap.string() + ",infinite_rx=1",
                                     "--vdev=net_null0,no-rx=1",
                                     "--log-level=notice"};
    if (!o.hugepages) args.insert(args.begin() + 4, {"--no-huge", "-m", "1024"});
    for (const char* a : {"--", "-i", "--forward-mode=io", "--nb-cores=1", "--total-num-mbufs=16384",
                          "--rxd=1024", "--txd=1024"})
        args.emplace_back(a);
    args.push_back("--burst=" + std::to_string(burst));

    testpmd_result r;
    for (const auto& a : args) r.command += (r.command.empty() ? "" : " ") + a;
    const fs::path log = dir / "testpmd.log";
    int in_pipe[2];
    if (::pipe(in_pipe) != 0) throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    if (pid == 0) {
        ::dup2(in_pipe[0], 0);
        ::close(in_pipe[1]);
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        std::_Exit(127);
    }
    ::close(in_pipe[0]);
    const auto say = [&](const char* cmd) { (void)!::write(in_pipe[1], cmd, std::strlen(cmd)); };
    const auto read_log = [&] {
        std::ifstream in(log);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    // Wait for the prompt (ports configured and started).
    for (int i = 0; i < 300 && read_log().find("testpmd> ") == std::string::npos; ++i) {
        int st = 0;
        if (::waitpid(pid, &st, WNOHANG) == pid)
            throw std::runtime_error("dpdk-testpmd exited before its prompt:\n" + read_log());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    say("start\n");
    const auto t0 = steady::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
    say("stop\n");
    r.seconds = std::chrono::duration<double>(steady::now() - t0).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    say("quit\n");
    ::close(in_pipe[1]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    // testpmd leaves its runtime directory behind (the EAL's rule: /var/run
    // for root, else $XDG_RUNTIME_DIR or /tmp); it is ours to remove.
    {
        const char* xdg = std::getenv("XDG_RUNTIME_DIR");
        const fs::path base = ::geteuid() == 0 ? fs::path("/var/run") : fs::path(xdg ? xdg : "/tmp");
        std::error_code ec;
        fs::remove_all(base / "dpdk" / ("sgbench-testpmd-" + std::to_string(::getpid())), ec);
    }
    const std::string text = read_log();
    const auto acc = text.find("Accumulated forward statistics for all ports");
    if (acc == std::string::npos)
        throw std::runtime_error("no forward statistics in dpdk-testpmd's output:\n" + text);
    r.rx = after(text, acc, "RX-packets: ");
    r.tx = after(text, acc, "TX-packets: ");
    return r;
}

// ---------------------------------------------------------------- shardgate

struct sg_result {
    double seconds = 0;
    std::uint64_t packets = 0, records = 0, records_out = 0, frames_out = 0, drops = 0;
    dpdk_tx_status tx;          ///< summed over the sinks, whole run
    double ab_rate[2] = {0, 0}; ///< --ab: records routed per second with perf_knob() off, on
};

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count());
}

/// The idle behaviour of `shardgate run`'s threads with the default config.
idle_policy runtime_idle() {
    const router_config defaults;
    return idle_policy(defaults.idle_spins, defaults.idle_sleep_us);
}
void sleep(unsigned us) { std::this_thread::sleep_for(std::chrono::microseconds(us)); }

/// One measured run: layouts two and relay put the dataplane core on cpu_b
/// and the egress thread on cpu_a (relay: egress polls the port for the
/// core); one polls both loops on cpu_b. The loops idle as `shardgate run`'s do.
sg_result run_shardgate(dpdk_environment& env, const dpdk_config& dc, const options& o, layout how) {
    const record_format format = bench::trade_format();
    routing_params params;
    params.strategy = strategy_kind::always_hash;
    params.partitions = partitions;
    params.keys = {column_key("symbol")};
    params.seed = 1;
    std::vector<std::unique_ptr<lane>> lanes;
    std::vector<lane*> raw;
    for (std::uint32_t p = 0; p < partitions; ++p) {
        lanes.push_back(std::make_unique<lane>(64, dc.payload_bytes)); // router.ring_blocks default
        raw.push_back(lanes.back().get());
    }
    source_config sc;
    sc.name = "replay";
    sc.kind = source_kind::dpdk;
    std::vector<sink_config> sinks(partitions);
    for (std::uint32_t p = 0; p < partitions; ++p) {
        sinks[p].kind = sink_kind::dpdk;
        sinks[p].dpdk_port = 1;
        sinks[p].dpdk_mac = "02:00:00:00:01:0" + std::to_string(p);
        sinks[p].destination = {"10.0.1." + std::to_string(p), 9000};
    }

    counter_block core, out;
    source_relay relay; // layout relay: outlives the worker that polls it and the egress that pumps it
    std::atomic<bool> stop{false}, core_done{false};
    std::atomic<int> ready{0};
    std::string error;
    std::unique_ptr<worker> wk;
    std::unique_ptr<egress> eg;
    std::unique_ptr<record_decoder> decoder;
    dpdk_tx_status tx_total;
    const auto collect_tx = [&] {
        for (std::size_t p = 0; p < eg->partitions(); ++p) tx_total += dpdk_status(eg->sink_at(p));
    };

    const auto make_worker = [&] {
        decoder = std::make_unique<record_decoder>(format, params.keys, dc.payload_bytes);
        std::vector<worker_input> inputs;
        inputs.push_back({how == layout::relay ? relay.consumer() : env.make_source(sc), decoder.get()});
        worker_options wo;
        wo.burst_size = o.burst;
        wk = std::make_unique<worker>(wo, params, std::move(inputs), raw, nullptr, core);
    };
    const auto make_egress = [&] {
        std::vector<egress_partition> parts;
        for (std::uint32_t p = 0; p < partitions; ++p) {
            egress_partition ep;
            ep.lanes = {raw[p]};
            ep.out = env.make_sink(sinks[p], p, 0);
            parts.push_back(std::move(ep));
        }
        std::vector<source_relay*> relays;
        if (how == layout::relay) {
            relay.attach(env.make_source(sc)); // on the egress thread, which polls it
            relays.push_back(&relay);
        }
        eg = std::make_unique<egress>(std::move(parts), out, std::move(relays));
    };
    const auto guarded = [&](auto body) {
        try {
            body();
        } catch (const std::exception& e) {
            error = e.what();
            stop = true;
            core_done = true;
        }
    };

    std::vector<std::thread> ts;
    if (how != layout::one) {
        ts.emplace_back([&] {
            guarded([&] {
                pin_current_thread(o.cpu_b, "dataplane core");
                env.register_thread();
                // Start once egress has its sinks (and the relay its source), or
                // the replay (which never waits) would fill the lanes and drop
                // in the meantime.
                while (ready.load() < 1 && !stop.load()) std::this_thread::yield();
                if (stop.load()) { // egress failed: its error is the one reported
                    env.unregister_thread();
                    return;
                }
                make_worker();
                ++ready;
                idle_policy idle = runtime_idle();
                while (!stop.load(std::memory_order_relaxed)) idle.after(wk->poll(now_ns()), sleep);
                wk->stop_sources();
                while (!wk->drained()) wk->poll(now_ns());
                wk->flush_all();
                wk.reset();
                core_done = true;
                env.unregister_thread();
            });
        });
        ts.emplace_back([&] {
            guarded([&] {
                pin_current_thread(o.cpu_a, "egress thread");
                env.register_thread();
                make_egress();
                ++ready;
                idle_policy idle = runtime_idle();
                while (!(core_done.load() && eg->idle())) idle.after(eg->poll(), sleep);
                eg->close();
                collect_tx();
                eg.reset();
                env.unregister_thread();
            });
        });
    } else {
        ts.emplace_back([&] {
            guarded([&] {
                pin_current_thread(o.cpu_b, "dataplane core");
                env.register_thread();
                make_worker();
                make_egress();
                ready += 2;
                idle_policy idle = runtime_idle();
                while (!stop.load(std::memory_order_relaxed))
                    idle.after(wk->poll(now_ns()) + eg->poll(), sleep);
                wk->stop_sources();
                while (!wk->drained()) {
                    wk->poll(now_ns());
                    eg->poll();
                }
                wk->flush_all();
                while (!eg->idle()) eg->poll();
                eg->close();
                collect_tx();
                wk.reset();
                eg.reset();
                env.unregister_thread();
            });
        });
    }
    while (ready.load() < 2 && !stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // Warm up (caches, mbuf caches, branch predictors), then measure.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto tx_frames = [&] { return env.port_stats()[1].opackets; };
    // Records: a frame the tx queue drops counts its records in drop_sink
    // (drop_tx counts the frame itself).
    const auto drops = [&] { return core.get(counter::drop_ring_full) + out.get(counter::drop_sink); };
    // The port's poller counts datagrams: the core, or egress relaying for it.
    const auto datagrams = [&] { return core.get(counter::datagrams_in) + out.get(counter::datagrams_in); };
    const std::uint64_t p0 = datagrams(), r0 = core.get(counter::records_routed),
                        o0 = out.get(counter::records_out), f0 = tx_frames(), d0 = drops();
    const auto t0 = steady::now();
    double ab_records[2] = {0, 0}, ab_seconds[2] = {0, 0};
    if (o.ab) {
        // Off, on, on, off, ...: a drift within a pair of slices falls on
        // both sides alike. The first 5 ms of a slice are not counted (the
        // core finishes the poll it was in with the other setting).
        const auto slices = static_cast<std::uint32_t>(o.seconds * 20);
        for (std::uint32_t k = 0; k < slices; ++k) {
            const int on = static_cast<int>((k ^ (k >> 1)) & 1);
            set_perf_knob(on != 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            const std::uint64_t a = core.get(counter::records_routed);
            const auto ta = steady::now();
            std::this_thread::sleep_for(std::chrono::milliseconds(45));
            ab_records[on] += static_cast<double>(core.get(counter::records_routed) - a);
            ab_seconds[on] += std::chrono::duration<double>(steady::now() - ta).count();
        }
        set_perf_knob(false);
    } else {
        std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
    }
    const std::uint64_t p1 = datagrams(), r1 = core.get(counter::records_routed),
                        o1 = out.get(counter::records_out), f1 = tx_frames(), d1 = drops();
    const auto t1 = steady::now();
    stop = true;
    for (auto& t : ts) t.join();
    if (!error.empty()) throw std::runtime_error(error);
    sg_result r;
    r.seconds = std::chrono::duration<double>(t1 - t0).count();
    r.packets = p1 - p0;
    r.records = r1 - r0;
    r.records_out = o1 - o0;
    r.frames_out = f1 - f0;
    r.drops = d1 - d0;
    r.tx = tx_total;
    for (int v = 0; v < 2; ++v) r.ab_rate[v] = ab_seconds[v] > 0 ? ab_records[v] / ab_seconds[v] : 0;
    return r;
}

/// Round trip of one cache line between CPUs a and b (two threads passing a
/// counter back and forth), in ns. On a virtual machine it depends on where
/// the host placed the two vCPUs (same or different L3), and the two-thread
/// layout's throughput depends on it: every block a core hands to egress
/// moves cache lines from one CPU to the other.
double cache_line_round_trip_ns(int a, int b) {
    struct alignas(64) line {
        std::atomic<std::uint32_t> v{0};
    };
    line ping, pong;
    constexpr std::uint32_t rounds = 20000;
    std::thread other([&] {
        pin_current_thread(a, "round-trip probe");
        for (std::uint32_t i = 1; i <= rounds; ++i) {
            while (ping.v.load(std::memory_order_acquire) != i) {
            }
            pong.v.store(i, std::memory_order_release);
        }
    });
    double ns = 0;
    std::thread self([&] {
        pin_current_thread(b, "round-trip probe");
        const auto t0 = steady::now();
        for (std::uint32_t i = 1; i <= rounds; ++i) {
            ping.v.store(i, std::memory_order_release);
            while (pong.v.load(std::memory_order_acquire) != i) {
            }
        }
        ns = std::chrono::duration<double, std::nano>(steady::now() - t0).count() / rounds;
    });
    self.join();
    other.join();
    return ns;
}

std::string mega(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f M", v / 1e6);
    return b;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// "median (min..max)" of `v` divided by `scale`.
std::string spread(const std::vector<double>& v, double scale) {
    char b[96];
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    std::snprintf(b, sizeof b, "%.2f (%.2f..%.2f)", median(v) / scale, *lo / scale, *hi / scale);
    return b;
}

/// Medians over the rounds; the goal verdict goes by the layout with the
/// highest median ratio.
void print_summary(const options& o, const std::vector<double>& testpmd_pps,
                   const std::map<layout, std::vector<double>>& rates,
                   const std::map<layout, std::vector<double>>& ratios) {
    std::printf("\n== summary over %u round%s: median (min..max)\n", o.rounds, o.rounds == 1 ? "" : "s");
    if (!testpmd_pps.empty())
        std::printf("  dpdk-testpmd          %s M packets/s forwarded\n", spread(testpmd_pps, 1e6).c_str());
    layout best = o.layouts.front();
    for (const layout how : o.layouts) {
        const std::string label = std::string("shardgate [") + name(how) + "]";
        std::printf("  %-21s %s M records/s routed", label.c_str(), spread(rates.at(how), 1e6).c_str());
        if (ratios.count(how)) {
            std::printf(", ratio %s", spread(ratios.at(how), 1).c_str());
            if (median(ratios.at(how)) > median(ratios.at(best))) best = how;
        }
        std::printf("\n");
    }
    if (!ratios.count(best)) return; // no testpmd, or it forwarded nothing in any round
    const double r = median(ratios.at(best));
    std::printf("best median ratio %.2f (%s): goal (>= 4) %s\n", r, name(best), r >= 4 ? "met" : "NOT met");
}

} // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    try {
        if (!fs::exists(o.testpmd))
            throw std::runtime_error(o.testpmd + " not found (Debian package dpdk); pass --testpmd PATH");
        const auto missing = missing_dpdk_drivers();
        for (const auto& m : missing)
            if (m == "net_pcap" || m == "net_null")
                throw std::runtime_error("the DPDK driver " + m + " is not installed (librte-net-" +
                                         m.substr(4) + "23)");
        char tmpl[] = "/tmp/shardgate-dpdkbench.XXXXXX";
        if (::mkdtemp(tmpl) == nullptr)
            throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
        const fs::path dir = tmpl;
        const fs::path pcap = dir / "replay.pcap";
        write_pcap(pcap, o);

        if (o.hugepages && free_hugepages() < hugepages_needed)
            throw std::runtime_error(
                "--hugepages: " + std::to_string(free_hugepages()) +
                " 2 MiB hugepages are free, the run needs " + std::to_string(hugepages_needed) +
                "; run it under scripts/with-hugepages " + std::to_string(hugepages_reserved) +
                " (root: reserves them for the run and gives them back)");
        const std::uint32_t frame =
            std::max(udp_frame_header_bytes + o.per_packet * record_bytes, min_ethernet_frame);
        std::printf(
            "shardgate-dpdkbench: %u-byte records, %u per packet (%u-byte frames), %u distinct packets "
            "replayed from memory (net_pcap infinite_rx=1) to net_null (no-rx=1); %u partitions by symbol "
            "(%u keys); burst %u; %.1f s per run\n",
            record_bytes, o.per_packet, frame, o.packets, partitions, o.keys, o.burst, o.seconds);
        std::printf("mode: %s\n", o.hugepages ? "2 MiB hugepages" : "no hugepages (--no-huge, IOVA as VA)");
        std::printf("host: %s\n", shardgate::tools::host_cpu().c_str());
        std::fflush(stdout);

        // shardgate's EAL, in this process, once; testpmd runs as a child
        // process with its own file prefix between shardgate's runs.
        dpdk_config dc;
        dc.eal_args = {"--no-pci"};
        if (!o.hugepages) dc.eal_args.insert(dc.eal_args.end(), {"--no-huge", "-m", "512"});
        dc.mempool_mbufs = 16383;
        dc.ports.resize(2);
        dc.ports[0].device = "net_pcap0,rx_pcap=" + pcap.string() + ",infinite_rx=1";
        dc.ports[1].device = "net_null0,no-rx=1";
        dc.ports[1].ip = "10.0.0.1";
        dc.ports[1].udp_port = 5000;
        // The relay layout holds up to relay_depth mbufs between the threads:
        // the pool check counts them. Port 0's queue is polled, port 1 only sends.
        dc.rx_on_egress = std::find(o.layouts.begin(), o.layouts.end(), layout::relay) != o.layouts.end();
        auto env = dpdk_environment::start(dc, 1, {1, 0});
        for (const auto& w : env->warnings()) std::printf("  warning: %s\n", w.c_str());
        const std::uint32_t per_out = dc.payload_bytes / record_bytes;

        std::vector<double> testpmd_pps;                                // per round
        std::map<layout, std::vector<double>> rates, ratios, ab_ratios; // per layout, per round
        for (std::uint32_t round = 1; round <= o.rounds; ++round) {
            std::printf("\n== round %u of %u\n", round, o.rounds);
            double tp_pps = 0;
            if (!o.shardgate_only) {
                std::printf(
                    "dpdk-testpmd io forward, forwarding lcore on CPU %d (main lcore CPU %d idle); its "
                    "best burst is the baseline:\n",
                    o.cpu_b, o.cpu_a);
                for (const std::uint32_t burst : o.testpmd_bursts) {
                    const testpmd_result tp = run_testpmd(o, burst, pcap, dir);
                    const double pps = static_cast<double>(tp.tx) / tp.seconds;
                    tp_pps = std::max(tp_pps, pps);
                    if (round == 1) std::printf("  %s\n", tp.command.c_str());
                    std::printf("  burst %u: %sp/s forwarded (%llu packets in %.2f s; rx %llu)\n", burst,
                                mega(pps).c_str(), static_cast<unsigned long long>(tp.tx), tp.seconds,
                                static_cast<unsigned long long>(tp.rx));
                    std::fflush(stdout);
                }
                std::printf("  baseline: %sp/s (%srecords/s carried, %u per packet)\n", mega(tp_pps).c_str(),
                            mega(tp_pps * o.per_packet).c_str(), o.per_packet);
                if (tp_pps > 0)
                    testpmd_pps.push_back(tp_pps);
                else
                    std::printf("  testpmd forwarded nothing: no ratio this round (see its log above)\n");
            }
            for (const layout how : o.layouts) {
                const double round_trip = how != layout::one ? cache_line_round_trip_ns(o.cpu_a, o.cpu_b) : 0;
                const sg_result r = run_shardgate(*env, dc, o, how);
                // Again after it: the host moves the vCPUs, also during a run.
                const double round_trip_after =
                    how != layout::one ? cache_line_round_trip_ns(o.cpu_a, o.cpu_b) : 0;
                const double pps = static_cast<double>(r.packets) / r.seconds;
                const double rps = static_cast<double>(r.records) / r.seconds;
                const double out_pps = static_cast<double>(r.frames_out) / r.seconds;
                if (how != layout::one)
                    std::printf(
                        "shardgate [%s], dataplane core on CPU %d + egress thread on CPU %d%s (cache-line "
                        "round trip between them before the run: %.0f ns, after it: %.0f ns):\n",
                        name(how), o.cpu_b, o.cpu_a,
                        how == layout::relay ? " polling the port for the core" : "", round_trip,
                        round_trip_after);
                else
                    std::printf("shardgate [one], dataplane and egress loops on one thread, CPU %d "
                                "(testpmd's footprint):\n",
                                o.cpu_b);
                std::printf(
                    "  %sp/s in, %srecords/s routed, %sp/s out (up to %u records per frame), %llu records "
                    "dropped while measuring\n",
                    mega(pps).c_str(), mega(rps).c_str(), mega(out_pps).c_str(), per_out,
                    static_cast<unsigned long long>(r.drops));
                std::printf("  tx over the whole run: %llu frames (%llu copied, the rest sent from the %u "
                            "lane blocks "
                            "living in mbufs), %llu refused bursts retried, %llu submits without an mbuf, "
                            "%llu frames "
                            "dropped\n",
                            static_cast<unsigned long long>(r.tx.frames_sent),
                            static_cast<unsigned long long>(r.tx.frames_copied), r.tx.blocks_bound,
                            static_cast<unsigned long long>(r.tx.retries),
                            static_cast<unsigned long long>(r.tx.no_mbuf),
                            static_cast<unsigned long long>(r.tx.frames_dropped));
                rates[how].push_back(rps);
                if (o.ab && r.ab_rate[0] > 0) {
                    std::printf("  --ab: perf_knob() off (A) %srecords/s, on (B) %srecords/s, B/A = %.3f\n",
                                mega(r.ab_rate[0]).c_str(), mega(r.ab_rate[1]).c_str(),
                                r.ab_rate[1] / r.ab_rate[0]);
                    ab_ratios[how].push_back(r.ab_rate[1] / r.ab_rate[0]);
                }
                if (tp_pps > 0) {
                    std::printf(
                        "  records routed/s / testpmd packets/s = %.2f (goal >= 4); packet rate %.2f of "
                        "testpmd's\n",
                        rps / tp_pps, pps / tp_pps);
                    ratios[how].push_back(rps / tp_pps);
                }
                std::fflush(stdout);
            }
        }
        print_summary(o, testpmd_pps, rates, ratios);
        for (const auto& [how, v] : ab_ratios) {
            const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
            std::printf("--ab, shardgate [%s]: B/A median %.3f (%.3f..%.3f) over %zu run%s\n", name(how),
                        median(v), *lo, *hi, v.size(), v.size() == 1 ? "" : "s");
        }
        env.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "shardgate-dpdkbench: %s\n", e.what());
        return 1;
    }
}
