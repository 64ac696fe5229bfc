// shardgate-pipebench: how fast one dataplane core is, end to end in memory.
//
// A memory source replays datagrams of generated trade records
// (docs/record-formats.md) into a worker (decode → key → hash → route →
// scatter into lane blocks); an egress on the same thread hands every block
// to a sink that only gives it back. No sockets, no second thread: the
// figure is the CPU cost of the core's stages per record, for each format
// and strategy. Baseline in the same run: the cost of just copying each
// record into a block (what the scatter stage alone would cost).
//
// A benchmark prints; it asserts nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/pipeline/egress.hpp"
#include "dataplane/pipeline/memory_io.hpp"
#include "dataplane/pipeline/worker.hpp"
#include "tools/bench/trade_format.hpp"
#include "tools/common/host.hpp"
#include "tools/common/trade.hpp"

namespace {

using namespace shardgate;
using steady = std::chrono::steady_clock;

/// The shape of the run; the defaults are large datagrams (8000 bytes of
/// 40-byte records, ~4 MB of fixed records in all: bigger than L2).
struct shape {
    std::uint32_t partitions = 16;
    std::size_t records_per_datagram = 200;
    std::size_t datagrams = 512;
    std::uint32_t burst = 64;
    std::uint32_t block_bytes = 8192;
    bool fixed_only = false;
};
shape cfg;

/// Trades over 1000 symbols and 4 sources, seq counting per (source, symbol).
std::vector<tools::trade> make_trades(std::size_t n) {
    std::mt19937_64 rng(42);
    std::vector<tools::trade> out(n);
    std::vector<std::uint64_t> seq(4 * 1000, 0);
    for (auto& t : out) {
        const auto sym = static_cast<unsigned>(rng() % 1000);
        t.source = static_cast<std::uint32_t>(rng() % 4);
        t.seq = ++seq[t.source * 1000 + sym];
        char symbol[8];
        std::snprintf(symbol, sizeof symbol, "S%05u", sym);
        t.set_symbol(symbol);
        t.trader_id = rng() % 100;
        t.price = static_cast<std::int64_t>(rng() % 100000000);
    }
    return out;
}

/// The record as the bundled tools encode it (newline included for text).
std::string encode(const tools::trade& t, format_kind k) {
    const tools::record_format f = k == format_kind::fixed ? tools::record_format::fixed
                                   : k == format_kind::csv ? tools::record_format::csv
                                                           : tools::record_format::ndjson;
    std::string out(tools::max_valid_record_size(f), '\0');
    out.resize(tools::encode(f, t, out.data()));
    return out;
}

struct scenario {
    const char* name;
    strategy_kind strategy;
    std::vector<key_expr> keys;
};

/// Runs the whole replay `rounds` times through one worker + egress; returns ns/record.
double run(format_kind kind, const scenario& sc, const std::vector<std::vector<std::byte>>& data,
           std::size_t records, int rounds) {
    routing_params rp;
    rp.strategy = sc.strategy;
    rp.partitions = cfg.partitions;
    rp.keys = sc.keys;
    rp.seed = 1;
    if (sc.strategy == strategy_kind::smart_repartition || sc.strategy == strategy_kind::sticky_partition)
        rp.source.partitions =
            4; // not aligned (the generator's sources are random): smart hashes and verifies
    const record_format fmt = bench::trade_format(kind);
    std::vector<std::unique_ptr<lane>> lanes;
    std::vector<lane*> raw;
    for (std::uint32_t p = 0; p < cfg.partitions; ++p) {
        lanes.push_back(std::make_unique<lane>(64, cfg.block_bytes));
        raw.push_back(lanes.back().get());
    }
    record_decoder dec(fmt, rp.keys, cfg.block_bytes - 1);
    counter_block core_counters, egress_counters;
    std::vector<worker_input> inputs;
    // Lossless: a full lane holds the core (as with TCP) instead of dropping.
    inputs.push_back(
        {std::make_unique<memory_source>("bench", data, unknown_source_partition, rounds, 32, true), &dec});
    worker_options o;
    o.burst_size = cfg.burst;
    o.line_framed = kind != format_kind::fixed;
    worker w(o, rp, std::move(inputs), raw, nullptr, core_counters);
    std::vector<egress_partition> parts;
    for (std::uint32_t p = 0; p < cfg.partitions; ++p) {
        egress_partition ep;
        ep.lanes = {raw[p]};
        ep.out = std::make_unique<callback_sink>(
            p, [](std::uint32_t, std::span<const std::byte>, std::uint32_t) {});
        parts.push_back(std::move(ep));
    }
    egress e(std::move(parts), egress_counters);
    const auto t0 = steady::now();
    std::uint64_t now = 0;
    int idle = 0;
    while (idle < 2) {
        const std::size_t n = w.poll(now += 1000);
        e.poll();
        idle = n == 0 ? idle + 1 : 0;
    }
    const double ns = std::chrono::duration<double, std::nano>(steady::now() - t0).count();
    const auto routed = core_counters.get(counter::records_routed);
    if (routed != records * static_cast<std::size_t>(rounds))
        std::fprintf(stderr, "warning: %s routed %llu of %zu records\n", sc.name,
                     static_cast<unsigned long long>(routed), records * static_cast<std::size_t>(rounds));
    return ns / static_cast<double>(routed ? routed : 1);
}

/// The baseline: copy every record of every datagram into 8 KiB blocks, round robin.
double copy_only(const std::vector<std::vector<std::byte>>& data, std::size_t records, int rounds,
                 std::size_t rec) {
    std::vector<std::vector<std::byte>> blocks(cfg.partitions, std::vector<std::byte>(cfg.block_bytes));
    std::vector<std::size_t> used(cfg.partitions, 0);
    const auto t0 = steady::now();
    std::size_t p = 0;
    for (int r = 0; r < rounds; ++r)
        for (const auto& d : data)
            for (std::size_t off = 0; off + rec <= d.size(); off += rec) {
                if (used[p] + rec > cfg.block_bytes) used[p] = 0;
                std::memcpy(blocks[p].data() + used[p], d.data() + off, rec);
                used[p] += rec;
                p = p + 1 == cfg.partitions ? 0 : p + 1;
            }
    const double ns = std::chrono::duration<double, std::nano>(steady::now() - t0).count();
    volatile std::byte sink = blocks[3][used[3] / 2];
    (void)sink;
    return ns / static_cast<double>(records * static_cast<std::size_t>(rounds));
}

} // namespace

int main(int argc, char** argv) {
    int repeats = 5, rounds = 10;
    std::string only; ///< run just this scenario (empty: all)
    const auto number = [&](int& i, const char* flag, std::size_t lo, std::size_t hi) -> std::size_t {
        if (i + 1 >= argc) {
            std::fprintf(stderr, "shardgate-pipebench: %s needs a value\n", flag);
            std::exit(2);
        }
        char* end = nullptr;
        const unsigned long long v = std::strtoull(argv[++i], &end, 10);
        if (*end != '\0' || v < lo || v > hi) {
            std::fprintf(stderr, "shardgate-pipebench: %s: expected an integer in %zu..%zu, found \"%s\"\n", flag,
                         lo, hi, argv[i]);
            std::exit(2);
        }
        return static_cast<std::size_t>(v);
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--quick") {
            repeats = 2;
            rounds = 2;
        } else if (a == "--repeats") {
            repeats = static_cast<int>(number(i, "--repeats", 1, 1000));
        } else if (a == "--partitions") {
            cfg.partitions = static_cast<std::uint32_t>(number(i, "--partitions", 1, 1024));
        } else if (a == "--records-per-datagram") {
            cfg.records_per_datagram = number(i, "--records-per-datagram", 1, 1000);
            // Keep about 100 000 records in the replay whatever the datagram size.
            cfg.datagrams = std::max<std::size_t>(1, 102400 / cfg.records_per_datagram);
        } else if (a == "--burst") {
            cfg.burst = static_cast<std::uint32_t>(number(i, "--burst", 1, max_burst));
        } else if (a == "--block-bytes") {
            cfg.block_bytes = static_cast<std::uint32_t>(number(i, "--block-bytes", 256, 65536));
        } else if (a == "--fixed-only") {
            cfg.fixed_only = true;
        } else if (a == "--only") {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "shardgate-pipebench: --only needs a strategy row name\n");
                return 2;
            }
            only = argv[++i];
        } else if (a == "--help" || a == "-h") {
            std::puts("usage: shardgate-pipebench [--quick] [--repeats N] [--partitions N] [--burst N]\n"
                      "                           [--records-per-datagram N] [--block-bytes N] [--fixed-only]\n"
                      "                           [--only ROW]\n\n"
                      "ns per record through one dataplane core's stages (decode, key, hash, route,\n"
                      "scatter, egress hand-off), in memory, per format and strategy; minimum of repeats.\n"
                      "Defaults: 16 partitions, burst 64, 200 records per datagram, 8192-byte blocks.\n"
                      "The DPDK benchmark's shape: --partitions 8 --burst 256 --records-per-datagram 16\n"
                      "--block-bytes 1440. --only ROW runs one row (e.g. \"round_robin\"), for profiling.");
            return 0;
        } else {
            std::fprintf(stderr, "shardgate-pipebench: unknown argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    const std::vector<scenario> scenarios{
        {"always_hash(symbol)", strategy_kind::always_hash, {column_key("symbol")}},
        {"always_hash(trader_id,symbol)",
         strategy_kind::always_hash,
         {column_key("trader_id"), column_key("symbol")}},
        {"smart_repartition(symbol)", strategy_kind::smart_repartition, {column_key("symbol")}},
        {"round_robin", strategy_kind::round_robin, {}},
        {"sticky_partition", strategy_kind::sticky_partition, {}},
        {"fan_in", strategy_kind::fan_in, {}},
    };
    if (!only.empty() && std::none_of(scenarios.begin(), scenarios.end(),
                                      [&](const scenario& sc) { return only == sc.name; })) {
        std::string names;
        for (const auto& sc : scenarios) names += std::string(names.empty() ? "" : ", ") + sc.name;
        std::fprintf(stderr, "shardgate-pipebench: --only: no row \"%s\"; expected one of %s\n", only.c_str(),
                     names.c_str());
        return 2;
    }
    const std::size_t records_per_datagram = cfg.records_per_datagram, datagrams = cfg.datagrams;
    const auto trades = make_trades(records_per_datagram * datagrams);
    std::printf("host: %s\n", shardgate::tools::host_cpu().c_str());
    std::printf("one dataplane core in memory: %u partitions, burst %u, %zu records per datagram, "
                "%u-byte blocks, min of %d repeats (ns/record, M records/s)\n\n",
                cfg.partitions, cfg.burst, records_per_datagram, cfg.block_bytes, repeats);
    for (const format_kind kind : {format_kind::fixed, format_kind::csv, format_kind::ndjson}) {
        if (cfg.fixed_only && kind != format_kind::fixed) continue;
        std::vector<std::vector<std::byte>> data;
        std::size_t bytes = 0;
        for (std::size_t d = 0; d < datagrams; ++d) {
            std::string s;
            for (std::size_t r = 0; r < records_per_datagram; ++r)
                s += encode(trades[d * records_per_datagram + r], kind);
            data.emplace_back(reinterpret_cast<const std::byte*>(s.data()),
                              reinterpret_cast<const std::byte*>(s.data()) + s.size());
            bytes += s.size();
        }
        const std::size_t records = records_per_datagram * datagrams;
        const std::size_t avg = bytes / records;
        double base = 1e99;
        for (int r = 0; r < repeats; ++r) base = std::min(base, copy_only(data, records, rounds, avg));
        std::printf("%s (%zu bytes/record): copy-only baseline %.2f ns/record\n",
                    std::string(to_string(kind)).c_str(), avg, base);
        for (const auto& sc : scenarios) {
            if (!only.empty() && only != sc.name) continue;
            double best = 1e99;
            for (int r = 0; r < repeats; ++r) best = std::min(best, run(kind, sc, data, records, rounds));
            std::printf("  %-32s %7.2f ns/record  %7.2f M records/s  %5.1fx the copy\n", sc.name, best,
                        1e3 / best, best / base);
        }
    }
    return 0;
}
