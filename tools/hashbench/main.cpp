// shardgate-hashbench: how fast the key-hash and route stages are.
//
//  1. ns/key of xxh3_burst (best path and every path this CPU has) against a
//     plain loop of XXH3_64bits_withSeed over the same keys, for key lengths
//     4, 8, 16, 32, 64 and a mixed 1..16 row, with the speed-up over the loop.
//  2. ns/record of xxh3_burst_fields (a fixed layout's str key hashed from
//     the records) against slicing the keys and running xxh3_burst.
//  3. ns/record of router::route_burst for each strategy at bursts of 32 and
//     256, keys already extracted (the bench's extractor copies key slices).
//
// Every figure is the minimum over repeats; the variants of one row are timed
// round-robin within each repeat, so a burst of load from another process
// hits them alike. A benchmark prints; it asserts nothing.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/route/router.hpp"
#include "shardgate/burst.hpp"
#include "shardgate/hash.hpp"
#include "shardgate/partition_table.hpp"
#include "tools/common/host.hpp"
#include "tools/hashbench/baselines.hpp"

namespace shardgate::bench {

// The inlined baseline lives here, where XXH_INLINE_ALL is defined.
__attribute__((noinline)) void loop_inlined(const key_ref* keys, std::size_t n, std::uint64_t seed,
                                            std::uint64_t* out) noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = XXH3_64bits_withSeed(keys[i].data, keys[i].length, seed);
}

} // namespace shardgate::bench

namespace {

using namespace shardgate;
using steady = std::chrono::steady_clock;

/// The seed, set at run time (from a volatile) as a plan's seed is: a
/// compile-time seed would let the compiler fold it into the baseline loop.
std::uint64_t seed;
volatile std::uint64_t g_seed_source = 0x5eed5eed5eedULL;

constexpr std::size_t pool_keys = 1024; ///< keys per fixed-length row: ≤ 64 KiB of key bytes, cache-resident
constexpr std::size_t mixed_keys = 65536; ///< keys of the mixed-length row (see make_mixed_keys)
constexpr std::uint32_t partitions = 16;

struct options {
    bool quick = false;
    int repeats = 0; ///< 0: 25, or 5 with --quick
};

[[noreturn]] void usage(int code) {
    std::fprintf(code ? stderr : stdout,
                 "usage: shardgate-hashbench [--quick] [--repeats N]\n"
                 "  --quick       fewer, shorter repeats (a rough figure in about a second)\n"
                 "  --repeats N   repeats per figure, the minimum is printed (default 25, 5 with --quick)\n");
    std::exit(code);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--quick") {
            o.quick = true;
        } else if (a == "--repeats") {
            char* end = nullptr;
            const long n = i + 1 < argc ? std::strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || *end != '\0' || n < 1 || n > 1000) {
                std::fprintf(stderr,
                             "shardgate-hashbench: --repeats expects a count in [1, 1000], got '%s'\n",
                             i + 1 < argc ? argv[i + 1] : "");
                std::exit(2);
            }
            o.repeats = static_cast<int>(n);
            ++i;
        } else if (a == "--help" || a == "-h") {
            usage(0);
        } else {
            std::fprintf(
                stderr, "shardgate-hashbench: unknown option '%s'; expected --quick, --repeats N or --help\n",
                argv[i]);
            std::exit(2);
        }
    }
    if (o.repeats == 0) o.repeats = o.quick ? 5 : 25;
    return o;
}

/// Keeps results observable so no measured loop is optimised away.
volatile std::uint64_t g_sink;

/// Times `variants` round-robin: each repeat runs every variant for about
/// `target` seconds; returns, per variant, the minimum ns per item.
std::vector<double> time_min(const std::vector<std::function<void()>>& variants, std::size_t items_per_call,
                             int repeats, double target_seconds) {
    // Calibrate calls per timing so one timing lasts about target_seconds.
    std::vector<std::size_t> calls(variants.size(), 1);
    for (std::size_t v = 0; v < variants.size(); ++v) {
        for (;;) {
            const auto t0 = steady::now();
            for (std::size_t c = 0; c < calls[v]; ++c) variants[v]();
            const double s = std::chrono::duration<double>(steady::now() - t0).count();
            if (s >= target_seconds / 4) {
                calls[v] = std::max<std::size_t>(1, static_cast<std::size_t>(calls[v] * target_seconds / s));
                break;
            }
            calls[v] *= 4;
        }
    }
    std::vector<double> best(variants.size(), 1e300);
    for (int r = 0; r < repeats; ++r) {
        for (std::size_t v = 0; v < variants.size(); ++v) {
            const auto t0 = steady::now();
            for (std::size_t c = 0; c < calls[v]; ++c) variants[v]();
            const double ns = std::chrono::duration<double, std::nano>(steady::now() - t0).count();
            best[v] = std::min(best[v], ns / static_cast<double>(calls[v] * items_per_call));
        }
    }
    return best;
}

std::vector<std::byte> random_bytes(std::size_t n, std::uint64_t s) {
    std::mt19937_64 rng(s);
    std::vector<std::byte> v(n);
    for (auto& b : v) b = static_cast<std::byte>(rng());
    return v;
}

/// `count` keys of `len` bytes packed back to back as a key arena holds them.
std::vector<key_ref> make_keys(const std::vector<std::byte>& arena, std::size_t count, std::uint32_t len) {
    std::vector<key_ref> keys(count);
    std::size_t off = 1; // keys start unaligned, as slices of records do
    for (auto& k : keys) {
        k = {arena.data() + off, len};
        off += len;
    }
    return keys;
}

/// Keys of random lengths 1..16 at random places in a 64 KiB arena (cache
/// resident). 65536 of them, so the sequence of lengths does not repeat
/// within what a branch predictor can learn, as in live traffic; a short
/// repeating pool lets the predictor memorise the lengths and flatters
/// branchy code.
std::vector<key_ref> make_mixed_keys(const std::vector<std::byte>& arena) {
    std::mt19937_64 rng(11);
    std::vector<key_ref> keys(mixed_keys);
    for (auto& k : keys) {
        const auto len = static_cast<std::uint32_t>(1 + rng() % 16);
        k = {arena.data() + rng() % (arena.size() - 16), len};
    }
    return keys;
}

void bench_hashing(const options& o) {
    std::vector<xxh3_path> paths;
    for (auto p : {xxh3_path::scalar, xxh3_path::interleaved, xxh3_path::avx2, xxh3_path::avx512})
        if (xxh3_path_available(p)) paths.push_back(p);

    std::printf(
        "\nXXH3-64 (seeded) ns/key, bursts of %zu; loop = plain loop of XXH3_64bits_withSeed over the "
        "same keys,\nlib = through the shared libxxhash, inl = xxHash inlined (XXH_INLINE_ALL)\n",
        max_burst);
    std::printf("%-6s %10s %10s", "len", "loop(lib)", "loop(inl)");
    for (auto p : paths) std::printf(" %11s", std::string(to_string(p)).c_str());
    std::printf(" %9s   %s\n", "best", "best speed-up vs loop(inl) / loop(lib)");

    const auto arena = random_bytes(pool_keys * 64 + 64, 1);
    const auto mixed_arena = random_bytes(64 * 1024, 2);
    std::vector<std::uint64_t> out(mixed_keys);
    for (std::uint32_t len : {4u, 8u, 16u, 32u, 64u, 0u}) {
        const auto keys = len ? make_keys(arena, pool_keys, len) : make_mixed_keys(mixed_arena);
        auto over_bursts = [&](auto&& fn) {
            return [&keys, &out, fn] {
                for (std::size_t i = 0; i < keys.size(); i += max_burst) fn(keys.data() + i, out.data() + i);
                g_sink = g_sink + out[0];
            };
        };
        std::vector<std::function<void()>> variants;
        variants.push_back(over_bursts(
            [](const key_ref* k, std::uint64_t* h) { bench::loop_libxxhash(k, max_burst, seed, h); }));
        variants.push_back(over_bursts(
            [](const key_ref* k, std::uint64_t* h) { bench::loop_inlined(k, max_burst, seed, h); }));
        for (auto p : paths)
            variants.push_back(over_bursts([p](const key_ref* k, std::uint64_t* h) {
                xxh3_burst({k, max_burst}, seed, {h, max_burst}, p);
            }));
        variants.push_back(over_bursts([](const key_ref* k, std::uint64_t* h) {
            xxh3_burst({k, max_burst}, seed, {h, max_burst}, xxh3_path::best);
        }));
        const auto ns = time_min(variants, keys.size(), o.repeats, o.quick ? 0.0005 : 0.002);
        const double lib = ns[0], inl = ns[1], best = ns.back();
        const std::string name = len ? std::to_string(len) : "1..16*";
        std::printf("%-6s %10.3f %10.3f", name.c_str(), lib, inl);
        for (std::size_t i = 0; i < paths.size(); ++i) std::printf(" %11.3f", ns[2 + i]);
        std::printf(" %9.3f   %.2fx / %.2fx\n", best, inl / best, lib / best);
    }
    std::printf(
        "* %zu keys of random lengths 1..16 (a pattern no branch predictor learns), %zu fixed-length keys "
        "per other row\n",
        mixed_keys, pool_keys);
}

/// xxh3_burst_fields against what it replaces on the data path: slicing
/// each record's NUL-padded str field (trimming the padding) and hashing the
/// slices with xxh3_burst. 40-byte records with a 12-byte field at offset
/// 12, as the DPDK benchmark's trade records: values of 6 bytes
/// ("S%05u"), and of random lengths 1..12.
void bench_fields(const options& o) {
    constexpr std::uint32_t record_bytes = 40, offset = 12, field = 12;
    std::vector<xxh3_path> paths;
    for (auto p : {xxh3_path::interleaved, xxh3_path::avx2, xxh3_path::avx512})
        if (xxh3_path_available(p)) paths.push_back(p);
    std::printf("\nXXH3 of a record's NUL-padded %u-byte str field, ns/record, bursts of %zu; slice = trim "
                "each field (slice_field_keys),\nthen xxh3_burst (best); the paths are xxh3_burst_fields\n",
                field, max_burst);
    std::printf("%-8s %10s", "values", "slice");
    for (auto p : paths) std::printf(" %11s", std::string(to_string(p)).c_str());
    std::printf(" %9s   %s\n", "best", "best speed-up vs slice");
    std::mt19937_64 rng(5);
    std::vector<std::byte> bytes(pool_keys * record_bytes + 16);
    std::vector<record_view> records(pool_keys);
    std::vector<std::uint64_t> out(pool_keys);
    std::vector<key_ref> keys(max_burst);
    for (const bool mixed : {false, true}) {
        for (std::size_t i = 0; i < pool_keys; ++i) {
            std::byte* rec = bytes.data() + i * record_bytes;
            for (std::uint32_t j = 0; j < record_bytes; ++j) rec[j] = static_cast<std::byte>(rng() | 1);
            char value[field + 1] = {};
            std::snprintf(value, sizeof value, "S%05u", static_cast<unsigned>(rng() % 10000));
            const std::size_t len = mixed ? 1 + rng() % field : std::strlen(value);
            for (std::uint32_t j = 0; j < field; ++j)
                rec[offset + j] = j < len ? static_cast<std::byte>(value[j] ? value[j] : 'x') : std::byte{0};
            records[i] = {rec, record_bytes};
        }
        auto over_bursts = [&](auto&& fn) {
            return [&, fn] {
                for (std::size_t i = 0; i < pool_keys; i += max_burst)
                    fn(std::span<const record_view>(records.data() + i, max_burst),
                       std::span<std::uint64_t>(out.data() + i, max_burst));
                g_sink = g_sink + out[0];
            };
        };
        std::vector<std::function<void()>> variants;
        variants.push_back(over_bursts([&](std::span<const record_view> r, std::span<std::uint64_t> h) {
            slice_field_keys(r, offset, field, keys);
            xxh3_burst(keys, seed, h);
        }));
        for (auto p : paths)
            variants.push_back(over_bursts([p](std::span<const record_view> r, std::span<std::uint64_t> h) {
                xxh3_burst_fields(r, offset, field, seed, h, p);
            }));
        variants.push_back(over_bursts([](std::span<const record_view> r, std::span<std::uint64_t> h) {
            xxh3_burst_fields(r, offset, field, seed, h);
        }));
        const auto ns = time_min(variants, pool_keys, o.repeats, o.quick ? 0.0005 : 0.002);
        std::printf("%-8s %10.3f", mixed ? "1..12" : "6 bytes", ns[0]);
        for (std::size_t i = 0; i < paths.size(); ++i) std::printf(" %11.3f", ns[1 + i]);
        std::printf(" %9.3f   %.2fx\n", ns.back(), ns[0] / ns.back());
    }
}

/// Hands the router keys prepared in advance: a copy per record, no parsing.
class pool_extractor final : public key_extractor {
public:
    const key_ref* keys = nullptr; ///< key of record i of the current burst

    void extract_keys(record_burst& b, std::span<const std::uint16_t> idx) noexcept override {
        for (auto i : idx) {
            b.keys[i] = keys[i];
            b.key_states[i] = key_status::ok;
        }
    }
    void extract_all_keys(record_burst& b) noexcept override {
        for (std::uint32_t i = 0; i < b.size; ++i) {
            b.keys[i] = keys[i];
            b.key_states[i] = key_status::ok;
        }
    }
};

struct strategy_case {
    std::string name;
    routing_params params;
};

void bench_routing(const options& o) {
    constexpr std::uint32_t key_len = 16;
    constexpr std::uint32_t source_partitions = 64; // P, declared by the source
    const auto arena = random_bytes(max_burst * key_len + 64, 2);
    const auto keys = make_keys(arena, max_burst, key_len);

    routing_params base;
    base.partitions = partitions;
    base.seed = seed;
    base.keys = {column_key("symbol")};
    std::vector<strategy_case> cases;
    auto add = [&](std::string name, strategy_kind k, auto&& tweak) {
        routing_params p = base;
        p.strategy = k;
        tweak(p);
        cases.push_back({std::move(name), std::move(p)});
    };
    auto declare = [&](routing_params& p, hash_function h) {
        p.source.key_columns = {"symbol"};
        p.source.partitioner = h;
        p.source.partitions = source_partitions;
        p.source.seed = seed;
    };
    add("always_hash", strategy_kind::always_hash, [](routing_params&) {});
    add("smart_repartition (aligned)", strategy_kind::smart_repartition,
        [&](routing_params& p) { declare(p, hash_function::xxh3); });
    add("smart_repartition (not aligned)", strategy_kind::smart_repartition,
        [&](routing_params& p) { declare(p, hash_function::kafka_murmur2); });
    add("round_robin", strategy_kind::round_robin, [](routing_params&) {});
    add("sticky_partition", strategy_kind::sticky_partition,
        [&](routing_params& p) { declare(p, hash_function::xxh3); });
    add("fan_in", strategy_kind::fan_in, [](routing_params& p) { p.fan_in_target = partition_id{3}; });

    // Source partitions as an aligned upstream would have assigned them: the
    // P-partition table of the same XXH3 hash, so smart's samples verify.
    const partition_table upstream(source_partitions);
    std::vector<source_partition> src(max_burst);
    for (std::size_t i = 0; i < max_burst; ++i)
        src[i] = source_partition{upstream(xxh3_64(keys[i].data, keys[i].length, seed)).value()};

    std::printf("\nroute_burst ns/record, N=%u partitions, %u-byte keys already extracted, source P=%u\n",
                partitions, key_len, source_partitions);
    std::printf("%-34s %12s %12s\n", "strategy", "burst 32", "burst 256");
    for (const auto& c : cases) {
        std::vector<double> per_burst;
        std::string note;
        for (std::uint32_t burst_size : {32u, 256u}) {
            // max_burst / burst_size bursts cover the same 256 records.
            const std::size_t bursts = max_burst / burst_size;
            std::vector<record_burst> bs(bursts);
            for (std::size_t w = 0; w < bursts; ++w) {
                bs[w].size = burst_size;
                for (std::uint32_t i = 0; i < burst_size; ++i)
                    bs[w].source_partitions[i] = src[w * burst_size + i];
            }
            router r(c.params);
            pool_extractor ex;
            counter_block counters;
            std::vector<partition_id> out(max_burst);
            auto run = [&] {
                for (std::size_t w = 0; w < bursts; ++w) {
                    ex.keys = keys.data() + w * burst_size;
                    r.route_burst(bs[w], ex, std::span<partition_id>(out.data(), burst_size), counters);
                }
                g_sink = g_sink + out[0].value();
            };
            per_burst.push_back(time_min({run}, max_burst, o.repeats, o.quick ? 0.0005 : 0.002)[0]);
            if (c.params.strategy == strategy_kind::smart_repartition) {
                const std::uint64_t fast = counters.get(counter::smart_fast_path);
                const std::uint64_t hashed = counters.get(counter::smart_hashed);
                char buf[96];
                std::snprintf(buf, sizeof buf, "  (%.1f%% fast path%s)",
                              100.0 * double(fast) / double(fast + hashed),
                              counters.get(counter::smart_mismatch) ? ", fell back" : "");
                note = buf;
            }
        }
        std::printf("%-34s %12.3f %12.3f%s\n", c.name.c_str(), per_burst[0], per_burst[1], note.c_str());
    }
}

} // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    seed = g_seed_source;
    std::printf("shardgate-hashbench: best xxh3 path %s; available:",
                std::string(to_string(xxh3_best_path())).c_str());
    for (auto p : {xxh3_path::scalar, xxh3_path::interleaved, xxh3_path::avx2, xxh3_path::avx512})
        if (xxh3_path_available(p)) std::printf(" %s", std::string(to_string(p)).c_str());
    std::printf("\nhost: %s\n", shardgate::tools::host_cpu().c_str());
    std::printf("minimum of %d repeats per figure%s; lower is better\n", o.repeats,
                o.quick ? " (--quick)" : "");
    bench_hashing(o);
    bench_fields(o);
    bench_routing(o);
    return 0;
}
