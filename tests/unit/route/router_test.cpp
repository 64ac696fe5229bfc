#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "tests/support/allocation_counter.hpp"
#include "dataplane/route/router.hpp"
#include "tests/support/printers.hpp"
#include "shardgate/hash.hpp"

using namespace shardgate;


namespace {

/// Keys held per record index, as a decoder would extract them.
class test_extractor final : public key_extractor {
public:
    std::vector<std::string> keys;   ///< key of record i ("" + missing[i] = absent)
    std::vector<bool> missing;
    std::size_t extracted = 0;       ///< how many keys the router asked for

    void extract_keys(record_burst& b, std::span<const std::uint16_t> idx) noexcept override {
        for (auto i : idx) set(b, i);
    }
    void extract_all_keys(record_burst& b) noexcept override {
        for (std::uint32_t i = 0; i < b.size; ++i) set(b, i);
    }

private:
    void set(record_burst& b, std::uint32_t i) noexcept {
        ++extracted;
        if (i < missing.size() && missing[i]) {
            b.keys[i] = {};
            b.key_states[i] = key_status::missing;
            return;
        }
        b.keys[i] = {reinterpret_cast<const std::byte*>(keys[i].data()), static_cast<std::uint32_t>(keys[i].size())};
        b.key_states[i] = key_status::ok;
    }
};

routing_params params(strategy_kind s, std::uint32_t n, hash_function h = hash_function::xxh3) {
    routing_params p;
    p.strategy = s;
    p.partitions = n;
    p.hash = h;
    p.seed = 0x5eed;
    p.keys = {column_key("symbol")};
    return p;
}

std::string key_of(std::mt19937_64& rng, int cardinality) {
    return "SYM" + std::to_string(rng() % cardinality);
}

/// A burst of `n` records with random keys and the given source partitions.
struct burst_fixture {
    record_burst burst;
    test_extractor ex;
    std::vector<partition_id> out = std::vector<partition_id>(max_burst);
    counter_block counters;

    void fill(std::mt19937_64& rng, std::uint32_t n, int cardinality) {
        burst.size = n;
        ex.keys.resize(n);
        ex.missing.assign(n, false);
        for (std::uint32_t i = 0; i < n; ++i) {
            ex.keys[i] = key_of(rng, cardinality);
            burst.source_partitions[i] = unknown_source_partition;
        }
    }
};

partition_id hash_partition(const routing_params& p, const std::string& key) {
    if (p.hash == hash_function::kafka_murmur2) return partition_id{kafka_partition(key.data(), key.size(), p.partitions)};
    return partition_table(p.partitions, p.key_groups)(xxh3_64(key.data(), key.size(), p.seed));
}

} // namespace

BOOST_AUTO_TEST_SUITE(router_suite)

BOOST_AUTO_TEST_CASE(rejects_plans_it_cannot_execute) {
    BOOST_CHECK_THROW(router(params(strategy_kind::automatic, 4)), std::invalid_argument);
    BOOST_CHECK_THROW(router(params(strategy_kind::always_hash, 0)), std::invalid_argument);
    auto p = params(strategy_kind::always_hash, 4);
    p.keys.clear();
    BOOST_CHECK_THROW(router{p}, std::invalid_argument);
    auto f = params(strategy_kind::fan_in, 4);
    f.fan_in_target = partition_id{4};
    BOOST_CHECK_THROW(router{f}, std::invalid_argument);
    f.fan_in_target = partition_id{3};
    BOOST_CHECK_NO_THROW(router{f});
}

BOOST_AUTO_TEST_CASE(always_hash_routes_each_key_to_its_hash_partition) {
    for (auto h : {hash_function::xxh3, hash_function::kafka_murmur2}) {
        const auto p = params(strategy_kind::always_hash, 7, h);
        router r(p);
        burst_fixture f;
        std::mt19937_64 rng(3);
        std::map<std::string, partition_id> seen;
        for (int round = 0; round < 50; ++round) {
            f.fill(rng, max_burst, 300);
            BOOST_REQUIRE_EQUAL(r.route_burst(f.burst, f.ex, f.out, f.counters), max_burst);
            for (std::uint32_t i = 0; i < f.burst.size; ++i) {
                BOOST_REQUIRE(f.out[i] == hash_partition(p, f.ex.keys[i]));
                auto [it, fresh] = seen.emplace(f.ex.keys[i], f.out[i]);
                BOOST_REQUIRE(it->second == f.out[i]); // one key, one partition
            }
        }
        std::vector<int> used(7, 0);
        for (auto& [k, part] : seen) used[part.value()] = 1;
        BOOST_TEST(std::count(used.begin(), used.end(), 1) == 7); // 300 keys reach every partition
    }
}

/// Keys that are a NUL-padded str field of each record, left to the hash:
/// what a fixed-layout decoder does for a key field of at most 16 bytes.
class field_extractor final : public key_extractor {
public:
    field_key field;
    std::size_t sliced = 0; ///< keys extract_* had to set
    void extract_keys(record_burst& b, std::span<const std::uint16_t> idx) noexcept override {
        sliced += idx.size();
        (void)b;
    }
    void extract_all_keys(record_burst& b) noexcept override { sliced += b.size; }
    field_key extract_all_keys_or_field(record_burst&) noexcept override { return field; }
};

BOOST_AUTO_TEST_CASE(keys_read_from_record_fields_route_as_their_trimmed_values) {
    // 24-byte records, the key a 12-byte str field at offset 5: values of
    // 0..12 bytes, NUL-padded, with bytes around them that must not count.
    constexpr std::uint32_t record_bytes = 24, offset = 5, size = 12;
    std::mt19937_64 rng(11);
    for (auto h : {hash_function::xxh3, hash_function::kafka_murmur2}) {
        const auto p = params(strategy_kind::always_hash, 7, h);
        router r(p);
        record_burst burst;
        field_extractor ex;
        ex.field = {offset, size};
        std::vector<partition_id> out(max_burst);
        counter_block counters;
        std::vector<std::byte> bytes(max_burst * record_bytes + 16);
        for (auto& b : bytes) b = static_cast<std::byte>(rng() | 1);
        std::vector<std::string> values(max_burst);
        for (std::uint32_t i = 0; i < max_burst; ++i) {
            std::byte* rec = bytes.data() + i * record_bytes;
            char text[16];
            const int n = std::snprintf(text, sizeof text, "K%llu",
                                        static_cast<unsigned long long>(rng() % 100000000000ULL));
            values[i].assign(text, std::min<std::size_t>(static_cast<std::size_t>(n), i % (size + 1)));
            for (std::uint32_t j = 0; j < size; ++j)
                rec[offset + j] = j < values[i].size() ? static_cast<std::byte>(values[i][j]) : std::byte{0};
            burst.records[i] = {rec, record_bytes};
            burst.key_states[i] = key_status::missing; // not read: a field is always there
        }
        burst.size = max_burst;
        BOOST_REQUIRE_EQUAL(r.route_burst(burst, ex, out, counters), max_burst);
        BOOST_TEST(ex.sliced == 0u);
        for (std::uint32_t i = 0; i < max_burst; ++i) BOOST_REQUIRE(out[i] == hash_partition(p, values[i]));
        BOOST_TEST(counters.get(counter::malformed_missing_key) == 0u);
    }
}

BOOST_AUTO_TEST_CASE(missing_keys_are_invalid_and_counted_without_losing_others) {
    router r(params(strategy_kind::always_hash, 4));
    burst_fixture f;
    std::mt19937_64 rng(5);
    f.fill(rng, 10, 50);
    f.ex.missing[2] = f.ex.missing[7] = true;
    BOOST_TEST(r.route_burst(f.burst, f.ex, f.out, f.counters) == 8u);
    BOOST_TEST(f.out[2] == invalid_partition);
    BOOST_TEST(f.out[7] == invalid_partition);
    for (int i : {0, 1, 3, 4, 5, 6, 8, 9}) BOOST_TEST(f.out[i].value() < 4u);
    BOOST_TEST(f.counters.get(counter::malformed_missing_key) == 2u);
}

BOOST_AUTO_TEST_CASE(round_robin_cycles_across_bursts_without_keys) {
    router r(params(strategy_kind::round_robin, 5));
    burst_fixture f;
    std::mt19937_64 rng(1);
    std::uint32_t expect = 0;
    std::vector<std::size_t> per(5, 0);
    for (std::uint32_t n : {1u, 7u, 256u, 3u, 100u}) {
        f.fill(rng, n, 10);
        BOOST_REQUIRE_EQUAL(r.route_burst(f.burst, f.ex, f.out, f.counters), n);
        for (std::uint32_t i = 0; i < n; ++i) {
            BOOST_REQUIRE_EQUAL(f.out[i].value(), expect);
            ++per[expect];
            expect = (expect + 1) % 5;
        }
    }
    BOOST_TEST(f.ex.extracted == 0u); // round robin never looks at keys
    const auto [lo, hi] = std::minmax_element(per.begin(), per.end());
    BOOST_TEST(*hi - *lo <= 1u);
}

BOOST_AUTO_TEST_CASE(sticky_spreads_declared_source_partitions_evenly) {
    auto p = params(strategy_kind::sticky_partition, 4);
    p.source.partitions = 10;
    router r(p);
    burst_fixture f;
    std::mt19937_64 rng(2);
    f.fill(rng, 12, 10);
    for (std::uint32_t i = 0; i < 12; ++i) f.burst.source_partitions[i] = source_partition{i};
    BOOST_TEST(r.route_burst(f.burst, f.ex, f.out, f.counters) == 10u);
    std::vector<int> load(4, 0);
    for (std::uint32_t i = 0; i < 10; ++i) ++load[f.out[i].value()];
    const auto [lo, hi] = std::minmax_element(load.begin(), load.end());
    BOOST_TEST(*hi - *lo <= 1); // 10 over 4: 3,3,2,2
    // Outside the declared range: an error counter, not a silent wrap.
    BOOST_TEST(f.out[10] == invalid_partition);
    BOOST_TEST(f.out[11] == invalid_partition);
    BOOST_TEST(f.counters.get(counter::bad_source_partition) == 2u);
    // Same source partition, same partition, every burst.
    const auto first = f.out[3];
    f.fill(rng, 1, 10);
    f.burst.source_partitions[0] = source_partition{3};
    r.route_burst(f.burst, f.ex, f.out, f.counters);
    BOOST_TEST(f.out[0] == first);
    BOOST_TEST(f.ex.extracted == 0u);
}

BOOST_AUTO_TEST_CASE(sticky_without_declared_range_maps_modulo_and_rejects_unknown) {
    router r(params(strategy_kind::sticky_partition, 3));
    burst_fixture f;
    std::mt19937_64 rng(2);
    f.fill(rng, 3, 10);
    f.burst.source_partitions[0] = source_partition{7};
    f.burst.source_partitions[1] = source_partition{8};
    f.burst.source_partitions[2] = unknown_source_partition;
    BOOST_TEST(r.route_burst(f.burst, f.ex, f.out, f.counters) == 2u);
    BOOST_TEST(f.out[0].value() == 1u);
    BOOST_TEST(f.out[1].value() == 2u);
    BOOST_TEST(f.out[2] == invalid_partition);
    BOOST_TEST(f.counters.get(counter::bad_source_partition) == 1u);
}

BOOST_AUTO_TEST_CASE(fan_in_sends_everything_to_the_target) {
    auto p = params(strategy_kind::fan_in, 6);
    p.fan_in_target = partition_id{4};
    router r(p);
    burst_fixture f;
    std::mt19937_64 rng(2);
    f.fill(rng, 100, 10);
    BOOST_TEST(r.route_burst(f.burst, f.ex, f.out, f.counters) == 100u);
    for (std::uint32_t i = 0; i < 100; ++i) BOOST_REQUIRE(f.out[i] == partition_id{4});
}

// The source really was partitioned by our function into P partitions: the
// fast path must give exactly what hashing gives, while hashing only samples.
BOOST_AUTO_TEST_CASE(smart_fast_path_equals_hashing_when_aligned) {
    for (auto h : {hash_function::kafka_murmur2, hash_function::xxh3}) {
        for (auto [n, src] : {std::pair{8u, 32u}, {3u, 12u}, {5u, 5u}}) {
            BOOST_TEST_CONTEXT(to_string(h) << " N=" << n << " P=" << src) {
                auto p = params(strategy_kind::smart_repartition, n, h);
                p.source = {{"symbol"}, h, src, p.seed, 0};
                p.smart_sample_every = 16;
                BOOST_REQUIRE(smart_alignment_problem(p).empty());
                router r(p);
                BOOST_TEST(r.smart_fast_path_active());
                auto upstream = p;
                upstream.partitions = src;
                burst_fixture f;
                std::mt19937_64 rng(9);
                std::size_t total = 0;
                for (int round = 0; round < 20; ++round) {
                    f.fill(rng, max_burst, 1000);
                    for (std::uint32_t i = 0; i < f.burst.size; ++i)
                        f.burst.source_partitions[i] = source_partition{hash_partition(upstream, f.ex.keys[i]).value()};
                    BOOST_REQUIRE_EQUAL(r.route_burst(f.burst, f.ex, f.out, f.counters), max_burst);
                    for (std::uint32_t i = 0; i < f.burst.size; ++i)
                        BOOST_REQUIRE(f.out[i] == hash_partition(p, f.ex.keys[i]));
                    total += f.burst.size;
                }
                BOOST_TEST(r.smart_fast_path_active());
                BOOST_TEST(f.counters.get(counter::smart_mismatch) == 0u);
                BOOST_TEST(f.counters.get(counter::smart_fast_path) == total);
                BOOST_TEST(f.counters.get(counter::smart_verified) == total / 16);
                BOOST_TEST(f.ex.extracted == total / 16); // only the samples were keyed
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(smart_falls_back_to_hashing_on_a_false_claim) {
    auto p = params(strategy_kind::smart_repartition, 4, hash_function::kafka_murmur2);
    p.source = {{"symbol"}, hash_function::kafka_murmur2, 16, 0, 0};
    p.smart_sample_every = 8;
    router r(p);
    burst_fixture f;
    std::mt19937_64 rng(4);
    for (int round = 0; round < 5; ++round) {
        f.fill(rng, 64, 1000);
        // The source lies: partitions unrelated to the key.
        for (std::uint32_t i = 0; i < f.burst.size; ++i) f.burst.source_partitions[i] = source_partition{i % 16};
        BOOST_REQUIRE_EQUAL(r.route_burst(f.burst, f.ex, f.out, f.counters), 64u);
        // Correct from the burst that caught the lie on (the first here).
        for (std::uint32_t i = 0; i < f.burst.size; ++i) BOOST_REQUIRE(f.out[i] == hash_partition(p, f.ex.keys[i]));
    }
    BOOST_TEST(!r.smart_fast_path_active());
    BOOST_TEST(f.counters.get(counter::smart_mismatch) == 1u);
    BOOST_TEST(f.counters.get(counter::smart_hashed) == 5u * 64u);
}

BOOST_AUTO_TEST_CASE(smart_fallback_counts_each_bad_key_once) {
    auto p = params(strategy_kind::smart_repartition, 4, hash_function::kafka_murmur2);
    p.source = {{"symbol"}, hash_function::kafka_murmur2, 16, 0, 0};
    p.smart_sample_every = 8;
    router r(p);
    burst_fixture f;
    std::mt19937_64 rng(5);
    f.fill(rng, 64, 1000);
    // Every source partition tells the truth (record 0, sampled, verifies)...
    for (std::uint32_t i = 0; i < f.burst.size; ++i)
        f.burst.source_partitions[i] = source_partition{kafka_partition(f.ex.keys[i].data(), f.ex.keys[i].size(), 16)};
    // ... but record 8, sampled too, lies, so the burst falls back to hashing
    // after the fast path met record 1: no usable source partition, no key.
    f.burst.source_partitions[8] = source_partition{(f.burst.source_partitions[8].value() + 1) % 16};
    f.burst.source_partitions[1] = unknown_source_partition;
    f.ex.missing[1] = true;
    r.route_burst(f.burst, f.ex, f.out, f.counters);
    BOOST_TEST(f.counters.get(counter::smart_mismatch) == 1u);
    BOOST_TEST(f.counters.get(counter::malformed_missing_key) == 1u);
    BOOST_TEST(f.out[1] == invalid_partition);
}

BOOST_AUTO_TEST_CASE(smart_hashes_records_without_a_usable_source_partition) {
    auto p = params(strategy_kind::smart_repartition, 4, hash_function::kafka_murmur2);
    p.source = {{"symbol"}, hash_function::kafka_murmur2, 8, 0, 0};
    p.smart_sample_every = 1000;
    router r(p);
    burst_fixture f;
    std::mt19937_64 rng(4);
    f.fill(rng, 3, 100);
    f.burst.source_partitions[0] = unknown_source_partition;
    f.burst.source_partitions[1] = source_partition{99}; // outside P=8
    f.burst.source_partitions[2] = unknown_source_partition;
    f.ex.missing[2] = true;
    BOOST_TEST(r.route_burst(f.burst, f.ex, f.out, f.counters) == 2u);
    BOOST_TEST(f.out[0] == hash_partition(p, f.ex.keys[0]));
    BOOST_TEST(f.out[1] == hash_partition(p, f.ex.keys[1]));
    BOOST_TEST(f.out[2] == invalid_partition);
    BOOST_TEST(f.counters.get(counter::bad_source_partition) == 1u);
    BOOST_TEST(f.counters.get(counter::malformed_missing_key) == 1u);
    BOOST_TEST(r.smart_fast_path_active());
}

BOOST_AUTO_TEST_CASE(smart_is_plain_hashing_when_not_aligned) {
    auto base = params(strategy_kind::smart_repartition, 4, hash_function::kafka_murmur2);
    base.source = {{"symbol"}, hash_function::kafka_murmur2, 16, 0, 0};
    BOOST_TEST(smart_alignment_problem(base).empty());
    std::vector<routing_params> bad(5, base);
    bad[0].source.partitions = 0;                      // nothing declared
    bad[1].source.partitions = 10;                     // 4 does not divide 10
    bad[2].source.partitioner = hash_function::xxh3;   // different function
    bad[3].source.key_columns = {"trader_id"};         // different key
    bad[4].keys = {column_key("symbol"), column_key("trader_id")};
    for (const auto& p : bad) {
        BOOST_TEST(!smart_alignment_problem(p).empty());
        router r(p);
        BOOST_TEST(!r.smart_fast_path_active());
        burst_fixture f;
        std::mt19937_64 rng(4);
        f.fill(rng, 32, 100);
        for (std::uint32_t i = 0; i < 32; ++i) f.burst.source_partitions[i] = source_partition{i % 16};
        r.route_burst(f.burst, f.ex, f.out, f.counters);
        if (p.keys.size() == 1)
            for (std::uint32_t i = 0; i < 32; ++i) BOOST_REQUIRE(f.out[i] == hash_partition(p, f.ex.keys[i]));
        BOOST_TEST(f.ex.extracted == 32u);
    }
}

BOOST_AUTO_TEST_CASE(route_burst_allocates_nothing) {
    std::vector<routing_params> plans = {params(strategy_kind::always_hash, 16),
                                         params(strategy_kind::always_hash, 16, hash_function::kafka_murmur2),
                                         params(strategy_kind::round_robin, 16),
                                         params(strategy_kind::sticky_partition, 16), params(strategy_kind::fan_in, 16)};
    auto smart = params(strategy_kind::smart_repartition, 16, hash_function::kafka_murmur2);
    smart.source = {{"symbol"}, hash_function::kafka_murmur2, 32, 0, 0};
    plans.push_back(smart);
    plans[3].source.partitions = 64;
    for (const auto& p : plans) {
        router r(p);
        burst_fixture f;
        std::mt19937_64 rng(11);
        f.fill(rng, max_burst, 500);
        for (std::uint32_t i = 0; i < max_burst; ++i) f.burst.source_partitions[i] = source_partition{i % 32};
        test::allocation_scope allocs;
        for (int round = 0; round < 100; ++round) r.route_burst(f.burst, f.ex, f.out, f.counters);
        BOOST_TEST(allocs.count() == 0u, to_string(p.strategy) << " allocated " << allocs.count() << " times");
    }
}

BOOST_AUTO_TEST_SUITE_END()
