#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory_resource>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/pipeline/egress.hpp"
#include "dataplane/pipeline/idle.hpp"
#include "dataplane/pipeline/memory_io.hpp"
#include "dataplane/pipeline/relay.hpp"
#include "dataplane/pipeline/worker.hpp"
#include "shardgate/hash.hpp"
#include "shardgate/partition_table.hpp"
#include "tests/support/allocation_counter.hpp"
#include "tools/bench/trade_format.hpp"

using namespace shardgate;

namespace {

/// Records of 16 bytes: u64 seq, u32 source, char key[4] ("K" + 3 digits).
record_format small_format() {
    record_format f;
    f.kind = format_kind::fixed;
    f.record_size = 16;
    f.fields = {
        {"seq", field_type::u64, 0, 0}, {"source", field_type::u32, 8, 0}, {"key", field_type::str, 12, 4}};
    f.source_partition_field = "source";
    f.sequence_field = "seq";
    return f;
}

struct rec {
    std::uint64_t seq;
    std::uint32_t source;
    std::string key;
};

std::vector<std::byte> encode(const std::vector<rec>& rs) {
    std::vector<std::byte> out(rs.size() * 16);
    for (std::size_t i = 0; i < rs.size(); ++i) {
        std::memcpy(out.data() + i * 16, &rs[i].seq, 8);
        std::memcpy(out.data() + i * 16 + 8, &rs[i].source, 4);
        std::memcpy(out.data() + i * 16 + 12, rs[i].key.data(), 4);
    }
    return out;
}

/// `datagrams` datagrams of `per` records; keys K000..K(cardinality-1); seq per (source, key).
std::vector<std::vector<std::byte>> traffic(std::size_t datagrams, std::size_t per, int cardinality,
                                            std::uint32_t source, std::mt19937& rng) {
    std::map<std::string, std::uint64_t> seq;
    std::vector<std::vector<std::byte>> out;
    for (std::size_t d = 0; d < datagrams; ++d) {
        std::vector<rec> rs;
        for (std::size_t i = 0; i < per; ++i) {
            char k[8];
            std::snprintf(k, sizeof k, "K%03d", static_cast<int>(rng() % cardinality));
            rs.push_back({++seq[k], source, k});
        }
        out.push_back(encode(rs));
    }
    return out;
}

routing_params hash_params(std::uint32_t n) {
    routing_params p;
    p.strategy = strategy_kind::always_hash;
    p.partitions = n;
    p.keys = {column_key("key")};
    p.seed = 7;
    return p;
}

/// What arrived at each partition, in order.
struct received {
    std::vector<std::vector<rec>> by_partition;
    explicit received(std::size_t n) : by_partition(n) {}
    void add(std::uint32_t p, std::span<const std::byte> bytes, std::uint32_t records) {
        BOOST_REQUIRE_EQUAL(bytes.size(), std::size_t{records} * 16);
        for (std::uint32_t i = 0; i < records; ++i) {
            rec r;
            std::memcpy(&r.seq, bytes.data() + i * 16, 8);
            std::memcpy(&r.source, bytes.data() + i * 16 + 8, 4);
            r.key.assign(reinterpret_cast<const char*>(bytes.data()) + i * 16 + 12, 4);
            by_partition[p].push_back(r);
        }
    }
    std::size_t total() const {
        std::size_t n = 0;
        for (const auto& v : by_partition) n += v.size();
        return n;
    }
    /// Each key in one partition, its hash partition; per (source, key) seq 1, 2, 3...
    void verify(const routing_params& p) const {
        std::map<std::pair<std::uint32_t, std::string>, std::uint64_t> last;
        const partition_table table(p.partitions, p.key_groups);
        for (std::uint32_t part = 0; part < by_partition.size(); ++part)
            for (const rec& r : by_partition[part]) {
                BOOST_REQUIRE(table(xxh3_64(r.key.data(), r.key.size(), p.seed)) == partition_id{part});
                auto& l = last[{r.source, r.key}];
                BOOST_REQUIRE_EQUAL(r.seq, l + 1);
                l = r.seq;
            }
    }
};

struct rig {
    record_format format = small_format();
    routing_params params;
    std::vector<std::unique_ptr<lane>> lanes;
    std::unique_ptr<lane> dead;
    std::unique_ptr<record_decoder> decoder;
    counter_block core_counters, egress_counters;
    std::unique_ptr<worker> w;
    std::unique_ptr<egress> e;
    received got;

    rig(routing_params p, std::vector<std::unique_ptr<source>> sources, std::uint32_t blocks,
        std::uint32_t block_bytes, backpressure_policy policy = backpressure_policy::block,
        std::size_t sink_capacity = 0, bool dlq = false, std::vector<source_relay*> relays = {})
        : params(std::move(p)), got(params.partitions) {
        decoder = std::make_unique<record_decoder>(format, params.keys, block_bytes);
        std::vector<lane*> raw;
        for (std::uint32_t i = 0; i < params.partitions; ++i) {
            lanes.push_back(std::make_unique<lane>(blocks, block_bytes));
            raw.push_back(lanes.back().get());
        }
        if (dlq) dead = std::make_unique<lane>(4, 4096);
        std::vector<worker_input> inputs;
        for (auto& s : sources) inputs.push_back({std::move(s), decoder.get()});
        worker_options o;
        o.burst_size = 32;
        o.policy = policy;
        o.drain_deadline_ns = 1000;
        w = std::make_unique<worker>(o, params, std::move(inputs), raw, dead.get(), core_counters);
        std::vector<egress_partition> parts;
        for (std::uint32_t i = 0; i < params.partitions; ++i) {
            egress_partition ep;
            ep.lanes = {lanes[i].get()};
            ep.out = std::make_unique<callback_sink>(
                i,
                [this](std::uint32_t part, std::span<const std::byte> b, std::uint32_t n) {
                    got.add(part, b, n);
                },
                sink_capacity);
            parts.push_back(std::move(ep));
        }
        e = std::make_unique<egress>(std::move(parts), egress_counters, std::move(relays));
    }

    /// Polls the worker (and egress when `with_egress`) until the replay
    /// ends, then stops and drains.
    void run(bool with_egress, std::uint64_t& now) {
        int idle = 0;
        for (int i = 0; i < 1000000 && idle < 3; ++i) {
            idle = w->poll(now += 10) == 0 && !w->blocked() ? idle + 1 : 0;
            if (with_egress) e->poll();
        }
        w->stop_sources();
        for (int i = 0; i < 1000000 && !w->drained(); ++i) {
            w->poll(now += 10);
            if (with_egress) e->poll();
        }
        w->flush_all();
        for (int i = 0; i < 100000 && !e->idle(); ++i) e->poll();
    }
};

/// One memory source replaying `d` `rounds` times (0 = without end), `per_poll` datagrams a poll.
std::vector<std::unique_ptr<source>> one_source(std::vector<std::vector<std::byte>> d, bool lossless = false,
                                                std::uint64_t rounds = 1, std::size_t per_poll = 8) {
    std::vector<std::unique_ptr<source>> v;
    v.push_back(std::make_unique<memory_source>("mem", std::move(d), unknown_source_partition, rounds,
                                                per_poll, lossless));
    return v;
}

} // namespace

BOOST_AUTO_TEST_SUITE(pipeline_suite)

BOOST_AUTO_TEST_CASE(a_lane_hands_out_the_block_given_back_last) {
    lane l(8, 64);
    std::vector<std::uint32_t> held;
    std::uint32_t index = 0;
    while (l.acquire(index)) held.push_back(index);
    BOOST_TEST(held.size() == 8u);
    BOOST_TEST(!l.all_free());
    // Through egress and back in the order 3, 5, 1: 1 comes out first.
    for (const std::uint32_t i : {3u, 5u, 1u}) l.publish(block_ref{i, 0, 1});
    block_ref b;
    while (l.take_one(b)) l.give_back(b.index);
    BOOST_REQUIRE(l.acquire(index));
    BOOST_TEST(index == 1u);
    // The batch egress gave back is used up, newest first, before the ring
    // is read again: 5, 3, then 7, which came back in between.
    l.publish(block_ref{7, 0, 1});
    BOOST_REQUIRE(l.take_one(b));
    l.give_back(b.index);
    std::vector<std::uint32_t> order;
    while (l.acquire(index)) order.push_back(index);
    BOOST_TEST(order == (std::vector<std::uint32_t>{5, 3, 7}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(deferred_blocks_reach_egress_at_a_commit_a_quarter_full_or_a_full_lane) {
    lane l(8, 64); // commits by itself once 2 blocks wait
    std::array<std::uint32_t, 8> held{};
    for (auto& i : held) BOOST_REQUIRE(l.acquire(i));
    block_ref b;
    // The first waiting block tells the caller it owes the lane a commit.
    BOOST_TEST(l.publish_deferred(block_ref{held[0], 0, 1}));
    BOOST_TEST(!l.take_one(b));
    BOOST_TEST(l.published() == 0u);
    l.commit();
    BOOST_REQUIRE(l.take_one(b));
    BOOST_TEST(b.index == held[0]);
    l.commit(); // nothing waits: no effect
    BOOST_TEST(!l.take_one(b));
    // A quarter of the lane waiting: the second block commits both.
    BOOST_TEST(l.publish_deferred(block_ref{held[1], 0, 1}));
    BOOST_TEST(!l.publish_deferred(block_ref{held[2], 0, 1}));
    BOOST_TEST(l.published() == 2u);
    // A plain publish shows the deferred blocks before it too.
    BOOST_TEST(l.publish_deferred(block_ref{held[3], 0, 1}));
    l.publish(block_ref{held[4], 0, 1});
    BOOST_TEST(l.published() == 4u);
    // The lane is full (every block acquired): acquire commits what waits
    // before it reports so, or egress could never give a block back.
    BOOST_TEST(l.publish_deferred(block_ref{held[5], 0, 1}));
    std::uint32_t index = 0;
    BOOST_TEST(!l.acquire(index));
    BOOST_TEST(l.published() == 5u);
    std::vector<std::uint32_t> order;
    while (l.take_one(b)) order.push_back(b.index);
    BOOST_TEST(order == (std::vector<std::uint32_t>{held[1], held[2], held[3], held[4], held[5]}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_rebound_block_shows_its_new_memory_to_both_sides) {
    // The producer reads a block's memory from the shared slots, the consumer
    // from its own copy: a rebind must change both, and only that block.
    lane l(4, 64);
    for (std::uint32_t i = 0; i < 4; ++i) {
        BOOST_TEST(l.data(i) == l.own_data(i));
        BOOST_TEST(l.taken_data(i) == l.own_data(i));
        BOOST_TEST(l.handle(i) == nullptr);
    }
    std::array<std::byte, 64 + lane::slack> other{};
    int handle = 0;
    l.rebind(2, other.data(), &handle);
    BOOST_TEST(l.data(2) == other.data());
    BOOST_TEST(l.taken_data(2) == other.data());
    BOOST_TEST(l.handle(2) == static_cast<void*>(&handle));
    for (const std::uint32_t i : {0u, 1u, 3u}) {
        BOOST_TEST(l.data(i) == l.own_data(i));
        BOOST_TEST(l.taken_data(i) == l.own_data(i));
    }
    l.rebind(2, l.own_data(2), nullptr);
    BOOST_TEST(l.data(2) == l.own_data(2));
    BOOST_TEST(l.taken_data(2) == l.own_data(2));
    BOOST_TEST(l.handle(2) == nullptr);
}

BOOST_AUTO_TEST_CASE(a_lane_takes_its_consumer_copy_from_the_consumer_memory) {
    // The runtime gives each lane its core's NUMA memory and its egress
    // thread's: only the consumer's copy of the slots comes from the latter.
    struct counting final : std::pmr::memory_resource {
        std::size_t live = 0, allocations = 0;
        void* do_allocate(std::size_t bytes, std::size_t alignment) override {
            ++allocations;
            live += bytes;
            return std::pmr::new_delete_resource()->allocate(bytes, alignment);
        }
        void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override {
            live -= bytes;
            std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
        }
        bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }
    } producer, consumer;
    {
        lane l(16, 1024, &producer, &consumer);
        BOOST_TEST(consumer.allocations == 1u);
        BOOST_TEST(consumer.live >= 16u * 2 * sizeof(void*)); // a memory pointer and a handle per block
        BOOST_TEST(consumer.live < 1024u);                    // none of the blocks
        BOOST_TEST(producer.live >= 16u * 1024);              // the blocks
        std::uint32_t i = 0;
        BOOST_REQUIRE(l.acquire(i));
        BOOST_TEST(l.taken_data(i) == l.own_data(i));
    }
    BOOST_TEST(consumer.live == 0u);
    BOOST_TEST(producer.live == 0u);
    // Without a consumer memory, everything comes from the producer's.
    {
        lane l(16, 1024, &producer);
        BOOST_TEST(consumer.allocations == 1u);
    }
    BOOST_TEST(producer.live == 0u);
}

BOOST_AUTO_TEST_CASE(a_lane_never_hands_out_a_block_twice_and_counts_every_free_one) {
    // Random acquire / publish (at once or deferred) / commit / take / give
    // back against a model: acquire returns only free blocks, fails only when
    // none is free, take returns only published blocks, and all_free()
    // counts the blocks the producer holds aside as free.
    std::mt19937 rng(11);
    for (const std::uint32_t blocks : {1u, 2u, 5u, 8u, 9u, 16u}) {
        lane l(blocks, 32);
        std::vector<int> state(blocks, 0); // 0 free, 1 producer, 2 published, 3 egress
        std::vector<std::uint32_t> producer, taken;
        for (int step = 0; step < 20000; ++step) {
            switch (rng() % 4) {
            case 0: {
                std::uint32_t i = 0;
                const bool any_free = std::count(state.begin(), state.end(), 0) > 0;
                const bool got = l.acquire(i);
                BOOST_REQUIRE_EQUAL(got, any_free);
                if (got) {
                    BOOST_REQUIRE_EQUAL(state.at(i), 0);
                    state[i] = 1;
                    producer.push_back(i);
                }
                break;
            }
            case 1:
                if (!producer.empty()) {
                    const std::uint32_t i = producer[rng() % producer.size()];
                    std::erase(producer, i);
                    state[i] = 2;
                    if (rng() % 2)
                        l.publish(block_ref{i, 0, 1});
                    else
                        (void)l.publish_deferred(block_ref{i, 0, 1});
                }
                break;
            case 2: {
                if (rng() % 4 == 0) l.commit();
                block_ref b;
                if (l.take_one(b)) {
                    BOOST_REQUIRE_EQUAL(state.at(b.index), 2);
                    state[b.index] = 3;
                    taken.push_back(b.index);
                }
                break;
            }
            default:
                if (!taken.empty()) {
                    const std::uint32_t i = taken[rng() % taken.size()];
                    std::erase(taken, i);
                    state[i] = 0;
                    l.give_back(i);
                }
            }
            BOOST_REQUIRE_EQUAL(l.all_free(), std::count(state.begin(), state.end(), 0) == blocks);
        }
        // After a commit, every block published, deferred or not, comes out.
        l.commit();
        block_ref b;
        while (l.take_one(b)) {
            BOOST_REQUIRE_EQUAL(state.at(b.index), 2);
            state[b.index] = 3;
        }
        BOOST_TEST(std::count(state.begin(), state.end(), 2) == 0);
    }
}

BOOST_AUTO_TEST_CASE(routes_every_record_to_its_hash_partition_in_order) {
    std::mt19937 rng(1);
    auto d = traffic(200, 37, 50, 1, rng);
    rig r(hash_params(5), one_source(std::move(d)), 64, 256);
    std::uint64_t now = 0;
    r.run(true, now);
    BOOST_TEST(r.got.total() == 200u * 37u);
    r.got.verify(r.params);
    BOOST_TEST(r.core_counters.get(counter::records_in) == 7400u);
    BOOST_TEST(r.core_counters.get(counter::records_routed) == 7400u);
    BOOST_TEST(r.egress_counters.get(counter::records_out) == 7400u);
    for (auto& l : r.lanes) BOOST_TEST(l->all_free());
}

namespace {
/// What a worker and egress on one thread deliver per partition, byte for
/// byte, for `datagrams` from a lossless source (a full lane holds the
/// burst, and scatter resumes mid-burst when egress gives blocks back).
struct delivered {
    std::vector<std::vector<std::byte>> bytes; ///< per partition, in order
    counter_block core;
};
/// Routes `datagrams` from a lossless source through lanes of 8 blocks of
/// `block_bytes`; the decoder takes records of up to `max_record_bytes`
/// (0: what fits a block, as the runtime sizes it).
void route_bytes(const record_format& f, const routing_params& params,
                 std::vector<std::vector<std::byte>> datagrams, std::uint32_t block_bytes, delivered& out,
                 std::uint32_t max_record_bytes = 0) {
    out.bytes.resize(params.partitions);
    std::vector<std::unique_ptr<lane>> lanes;
    std::vector<lane*> raw;
    for (std::uint32_t i = 0; i < params.partitions; ++i) {
        lanes.push_back(std::make_unique<lane>(8, block_bytes));
        raw.push_back(lanes.back().get());
    }
    record_decoder decoder(f, params.keys, max_record_bytes ? max_record_bytes : block_bytes - 1);
    counter_block egress_counters;
    std::vector<worker_input> inputs;
    inputs.push_back(
        {std::make_unique<memory_source>("mem", std::move(datagrams), unknown_source_partition, 1, 8, true),
         &decoder});
    worker_options o;
    o.burst_size = 16;
    o.line_framed = f.line_framed();
    worker w(o, params, std::move(inputs), raw, nullptr, out.core);
    std::vector<egress_partition> parts;
    for (std::uint32_t i = 0; i < params.partitions; ++i) {
        egress_partition ep;
        ep.lanes = {raw[i]};
        ep.out = std::make_unique<callback_sink>(
            i, [&](std::uint32_t part, std::span<const std::byte> b, std::uint32_t) {
                out.bytes[part].insert(out.bytes[part].end(), b.begin(), b.end());
            });
        parts.push_back(std::move(ep));
    }
    egress e(std::move(parts), egress_counters);
    std::uint64_t now = 0;
    for (int idle = 0, i = 0; i < 1000000 && idle < 3; ++i) {
        idle = w.poll(now += 10) == 0 && !w.blocked() ? idle + 1 : 0;
        e.poll();
    }
    w.stop_sources();
    for (int i = 0; i < 1000000 && !w.drained(); ++i) {
        w.poll(now += 10);
        e.poll();
    }
    BOOST_REQUIRE(w.drained());
    w.flush_all();
    while (!e.idle()) e.poll();
}

std::vector<std::byte> bytes_of(std::string_view s) {
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    return {p, p + s.size()};
}

/// Per partition, the bytes that must arrive there, in order.
struct expected_bytes {
    routing_params params;
    partition_table table;
    std::vector<std::vector<std::byte>> by_partition;

    explicit expected_bytes(routing_params p)
        : params(std::move(p)), table(params.partitions, params.key_groups), by_partition(params.partitions) {
    }
    /// `bytes` (a record as it leaves) go to the partition of `key`.
    void add(std::string_view key, std::span<const std::byte> bytes) {
        auto& to = by_partition[table(xxh3_64(key.data(), key.size(), params.seed)).value()];
        to.insert(to.end(), bytes.begin(), bytes.end());
    }
    void check(const delivered& got) const {
        for (std::uint32_t p = 0; p < by_partition.size(); ++p)
            BOOST_TEST(got.bytes[p] == by_partition[p], "partition " << p << ": bytes or order differ");
    }
};

/// The trade format's csv lines, hashed by symbol over `n` partitions.
routing_params csv_symbol_params(std::uint32_t n) {
    routing_params p = hash_params(n);
    p.keys = {column_key("symbol")};
    return p;
}
} // namespace

BOOST_AUTO_TEST_CASE(fixed_records_of_every_size_arrive_byte_for_byte) {
    // Scatter copies fixed-size records with one move size per burst (32,
    // 48 or 64 bytes, past the record's end) or by length beyond 64: every
    // size class, each record's bytes exact and in order in its partition.
    for (const std::uint32_t size : {16u, 31u, 32u, 33u, 40u, 48u, 56u, 64u, 65u, 100u}) {
        BOOST_TEST_CONTEXT("record_size " << size) {
            record_format f;
            f.kind = format_kind::fixed;
            f.record_size = size;
            f.fields = {{"key", field_type::str, 0, 4}};
            expected_bytes expected(hash_params(3));
            std::mt19937 rng(size);
            std::vector<std::vector<std::byte>> datagrams;
            for (int d = 0; d < 40; ++d) {
                std::vector<std::byte> dg;
                for (int i = 0; i < 23; ++i) {
                    std::vector<std::byte> rec(size);
                    for (auto& b : rec) b = static_cast<std::byte>(rng());
                    char key[5];
                    std::snprintf(key, sizeof key, "K%03u", static_cast<unsigned>(rng() % 30));
                    std::memcpy(rec.data(), key, 4);
                    expected.add(std::string_view(key, 4), rec);
                    dg.insert(dg.end(), rec.begin(), rec.end());
                }
                datagrams.push_back(std::move(dg));
            }
            delivered got;
            route_bytes(f, expected.params, std::move(datagrams), 7 * size, got); // 7 records a block
            BOOST_TEST(got.core.get(counter::records_routed) == 40u * 23u);
            BOOST_TEST(got.core.get(counter::drop_ring_full) == 0u);
            expected.check(got);
        }
    }
}

BOOST_AUTO_TEST_CASE(csv_lines_arrive_byte_for_byte_and_keyless_ones_are_rejected) {
    // Line-framed records of 20 to ~120 bytes (by length, memcpy past 64),
    // each leaving with its newline, in order; lines without the key column
    // are unroutable and only counted. Small blocks: bursts are held.
    expected_bytes expected(csv_symbol_params(4));
    std::mt19937 rng(9);
    std::vector<std::vector<std::byte>> datagrams;
    std::uint64_t valid = 0, keyless = 0;
    for (int d = 0; d < 60; ++d) {
        std::string dg;
        for (int i = 0; i < 17; ++i) {
            if (rng() % 13 == 0) { // no symbol column
                dg += std::to_string(i) + ",1\n";
                ++keyless;
                continue;
            }
            std::string symbol(1, 'S');
            symbol += std::to_string(rng() % 40);
            symbol += std::string(rng() % 90, 'x'); // some lines longer than 64 bytes
            const std::string line =
                std::to_string(i) + ",1," + symbol + ",7," + std::to_string(rng() % 100000) + "\n";
            expected.add(symbol, bytes_of(line));
            dg += line;
            ++valid;
        }
        datagrams.push_back(bytes_of(dg));
    }
    delivered got;
    route_bytes(bench::trade_format(format_kind::csv), expected.params, std::move(datagrams), 256, got);
    BOOST_TEST(got.core.get(counter::records_routed) == valid);
    BOOST_TEST(got.core.get(counter::records_rejected) == keyless);
    BOOST_TEST(got.core.get(counter::malformed_missing_key) == keyless);
    BOOST_TEST(got.core.get(counter::drop_ring_full) == 0u);
    expected.check(got);
}

BOOST_AUTO_TEST_CASE(records_whose_strings_fill_a_bursts_scratch_all_arrive) {
    // ndjson symbols of 20000 bytes keyed by SUBSTRING(symbol, 1, 8): every
    // symbol is unescaped into the decoder's per-burst string scratch (256
    // KiB), which 16-record bursts of them overrun. The decoder then ends the
    // burst early and the core routes it and goes on: nothing is rejected,
    // nothing is lost, order holds.
    routing_params params = hash_params(4);
    key_expr k;
    k.text = "SUBSTRING(symbol, 1, 8)";
    k.program = {{key_op::field, 0, "symbol"},
                 {key_op::push_int, 1, ""},
                 {key_op::push_int, 8, ""},
                 {key_op::substring, 3, ""}};
    params.keys = {k};
    expected_bytes expected(params);
    std::vector<std::vector<std::byte>> datagrams;
    std::uint64_t records = 0;
    for (int d = 0; d < 12; ++d) {
        std::string dg;
        for (int i = 0; i < 5; ++i, ++records) {
            char id[9];
            std::snprintf(id, sizeof id, "K%07u", static_cast<unsigned>(records % 37));
            const std::string line = "{\"seq\":" + std::to_string(records) + ",\"symbol\":\"" + id +
                                     std::string(20000, 'p') + "\"}\n";
            expected.add(id, bytes_of(line));
            dg += line;
        }
        datagrams.push_back(bytes_of(dg));
    }
    delivered got;
    route_bytes(bench::trade_format(format_kind::ndjson), params, std::move(datagrams), 32768, got);
    BOOST_TEST(got.core.get(counter::records_in) == records);
    BOOST_TEST(got.core.get(counter::records_routed) == records);
    BOOST_TEST(got.core.get(counter::records_rejected) == 0u);
    expected.check(got);
}

BOOST_AUTO_TEST_CASE(a_record_larger_than_its_lanes_blocks_is_rejected_not_held) {
    // A decoder that takes longer records than the lanes' blocks hold (the
    // runtime never builds one; an embedder might): such a record can never
    // be placed, so the worker rejects it as oversized instead of holding
    // its lossless source for good. Everything else arrives, in order.
    expected_bytes expected(csv_symbol_params(2));
    std::vector<std::vector<std::byte>> datagrams;
    std::uint64_t valid = 0, oversized = 0;
    for (int d = 0; d < 20; ++d) {
        std::string dg;
        for (int i = 0; i < 10; ++i) {
            std::string symbol(1, 'S');
            symbol += std::to_string((d * 10 + i) % 7);
            if (i == 3 || (d % 4 == 0 && i == 9)) symbol += std::string(80, 'y'); // over 64 bytes a line
            const std::string line = std::to_string(i) + ",1," + symbol + ",7,5\n";
            dg += line;
            if (line.size() > 64) {
                ++oversized;
                continue;
            }
            expected.add(symbol, bytes_of(line));
            ++valid;
        }
        datagrams.push_back(bytes_of(dg));
    }
    delivered got;
    route_bytes(bench::trade_format(format_kind::csv), expected.params, std::move(datagrams), 64, got, 4096);
    BOOST_TEST(got.core.get(counter::records_routed) == valid);
    BOOST_TEST(got.core.get(counter::malformed_oversized) == oversized);
    BOOST_TEST(got.core.get(counter::records_rejected) == oversized);
    BOOST_TEST(got.core.get(counter::drop_ring_full) == 0u);
    BOOST_TEST(got.core.get(counter::records_in) == valid + oversized);
    expected.check(got);
}

BOOST_AUTO_TEST_CASE(lossy_sources_count_every_drop_when_lanes_are_full) {
    std::mt19937 rng(2);
    auto d = traffic(100, 30, 20, 0, rng);
    // Two blocks of 64 bytes (4 records) per lane, and egress never polled
    // while the source runs: most records cannot be placed.
    rig r(hash_params(3), one_source(std::move(d)), 2, 64);
    std::uint64_t now = 0;
    r.run(false, now);
    const auto in = r.core_counters.get(counter::records_in);
    const auto dropped = r.core_counters.get(counter::drop_ring_full);
    BOOST_TEST(in == 3000u);
    BOOST_TEST(dropped > 0u);
    BOOST_TEST(r.got.total() + dropped == in); // in = out + dropped, exactly
    BOOST_TEST(r.egress_counters.get(counter::records_out) == r.got.total());
}

BOOST_AUTO_TEST_CASE(lossless_sources_hold_and_lose_nothing_with_a_slow_sink) {
    std::mt19937 rng(3);
    auto d = traffic(100, 30, 20, 0, rng);
    // Tiny lanes and a sink that takes one block per poll: the worker must block.
    rig r(hash_params(3), one_source(std::move(d), true), 2, 64, backpressure_policy::block, 1);
    std::uint64_t now = 0;
    bool saw_blocked = false;
    int idle = 0;
    for (int i = 0; i < 1000000 && idle < 3; ++i) {
        idle = r.w->poll(now += 10) == 0 && !r.w->blocked() ? idle + 1 : 0;
        saw_blocked = saw_blocked || r.w->blocked();
        if (i % 3 == 0) r.e->poll();
    }
    r.w->stop_sources();
    for (int i = 0; i < 1000000 && !r.w->drained(); ++i) r.w->poll(now += 10);
    r.w->flush_all();
    for (int i = 0; i < 100000 && !r.e->idle(); ++i) r.e->poll();
    BOOST_TEST(saw_blocked);
    BOOST_TEST(r.core_counters.get(counter::drop_ring_full) == 0u);
    // Held bursts resume where they stopped: each record counted routed once.
    BOOST_TEST(r.core_counters.get(counter::records_routed) == 3000u);
    BOOST_TEST(r.got.total() == 3000u);
    r.got.verify(r.params);
}

BOOST_AUTO_TEST_CASE(abandoning_a_held_burst_accounts_for_every_record) {
    std::mt19937 rng(4);
    auto d = traffic(100, 30, 20, 0, rng);
    // Tiny lanes and no egress: the worker fills its lanes, then holds.
    rig r(hash_params(3), one_source(std::move(d), true), 2, 64);
    std::uint64_t now = 0;
    for (int i = 0; i < 1000 && !r.w->blocked(); ++i) r.w->poll(now += 10);
    BOOST_REQUIRE(r.w->blocked());
    r.w->poll(now += 10); // still held: nothing moves, nothing is counted twice
    r.w->abandon();
    BOOST_TEST(r.w->between_bursts());
    const auto in = r.core_counters.get(counter::records_in);
    const auto routed = r.core_counters.get(counter::records_routed);
    const auto dropped = r.core_counters.get(counter::drop_shutdown);
    BOOST_TEST(routed > 0u);
    BOOST_TEST(dropped > 0u);
    BOOST_TEST(in == routed + dropped + r.core_counters.get(counter::records_rejected));
    // What was routed is what the lanes hold.
    r.w->flush_all();
    for (int i = 0; i < 1000 && !r.e->idle(); ++i) r.e->poll();
    BOOST_TEST(r.got.total() == routed);
}

BOOST_AUTO_TEST_CASE(drop_policy_drops_even_lossless_sources) {
    std::mt19937 rng(4);
    auto d = traffic(50, 30, 20, 0, rng);
    rig r(hash_params(3), one_source(std::move(d), true), 2, 64, backpressure_policy::drop);
    std::uint64_t now = 0;
    r.run(false, now);
    BOOST_TEST(r.core_counters.get(counter::drop_ring_full) > 0u);
    BOOST_TEST(r.got.total() + r.core_counters.get(counter::drop_ring_full) == 1500u);
}

BOOST_AUTO_TEST_CASE(blocks_leave_at_the_drain_deadline_not_before) {
    std::mt19937 rng(5);
    auto d = traffic(1, 1, 1, 0, rng);
    // 16 blocks: a lane commits deferred blocks by itself only once 4 wait,
    // so this also checks that the poll which publishes the block commits it.
    rig r(hash_params(1), one_source(std::move(d)), 16, 4096);
    r.w->poll(1000); // one record into an open block, deadline 1000 ns later
    BOOST_TEST(r.lanes[0]->published() == 0u);
    r.w->poll(1999);
    BOOST_TEST(r.lanes[0]->published() == 0u);
    r.w->poll(2000);
    BOOST_TEST(r.lanes[0]->published() == 1u);
}

BOOST_AUTO_TEST_CASE(unroutable_records_go_to_the_dead_letter_lane) {
    // Sticky with 2 declared source partitions: source 5 is out of range.
    routing_params p;
    p.strategy = strategy_kind::sticky_partition;
    p.partitions = 2;
    p.source.partitions = 2;
    std::vector<rec> rs{{1, 0, "K000"}, {1, 5, "K001"}, {1, 1, "K002"}};
    auto bytes = encode(rs);
    bytes.resize(bytes.size() + 3); // and a truncated tail
    rig r(p, one_source({bytes}), 4, 256, backpressure_policy::block, 0, true);
    std::uint64_t now = 0;
    r.run(true, now);
    BOOST_TEST(r.got.total() == 2u);
    BOOST_TEST(r.core_counters.get(counter::bad_source_partition) == 1u);
    BOOST_TEST(r.core_counters.get(counter::malformed_truncated) == 1u);
    BOOST_TEST(r.core_counters.get(counter::dead_lettered) == 2u);
    block_ref b;
    BOOST_REQUIRE_EQUAL(r.dead->take(std::span(&b, 1)), 1u);
    BOOST_TEST(b.records == 2u);
    BOOST_TEST(b.length == (5u + 3u) + (5u + 16u));
    const std::byte* d = r.dead->data(b.index);
    BOOST_TEST(std::to_integer<int>(d[0]) == 3); // the truncated tail was rejected while decoding
    BOOST_TEST(std::to_integer<int>(d[4]) == static_cast<int>(reject_reason::truncated));
    BOOST_TEST(std::to_integer<int>(d[8]) == 16);
    BOOST_TEST(std::to_integer<int>(d[12]) == static_cast<int>(reject_reason::bad_source_partition));
}

BOOST_AUTO_TEST_CASE(worker_and_egress_poll_without_allocating) {
    std::mt19937 rng(6);
    rig r(hash_params(4), one_source(traffic(64, 30, 100, 0, rng), false, 0, 8), 64, 1024);
    std::uint64_t now = 0;
    for (int i = 0; i < 100; ++i) { // warm up: every lane block has been used once
        r.w->poll(now += 500);
        r.e->poll();
    }
    // The test sink records what it receives (which allocates): count only
    // worker polls and the egress's lane-to-sink hand-off through a no-op path.
    test::allocation_scope allocs;
    for (int i = 0; i < 1000; ++i) r.w->poll(now += 500);
    BOOST_TEST(allocs.count() == 0u);
    BOOST_TEST(r.core_counters.get(counter::records_in) > 10000u);
}

BOOST_AUTO_TEST_CASE(every_block_a_poll_publishes_is_visible_when_it_returns) {
    // One partition of 8 blocks of 4 records (a lane that commits by itself
    // every 2 blocks) and 30-record datagrams: a poll publishes up to 8
    // blocks to the one lane, so it comes back to the worker's list of lanes
    // to commit after committing by itself, and fills the list. After each
    // poll every published block must be takeable: what was routed and not
    // taken fits the open block. Egress's part is played here, so that the
    // worker's polls can be checked for allocations alone.
    std::mt19937 rng(12);
    rig r(hash_params(1), one_source(traffic(16, 30, 50, 0, rng), false, 0, 1), 8, 64);
    lane& l = *r.lanes[0];
    std::uint64_t now = 0, taken = 0, blocks = 0;
    std::vector<std::uint32_t> back;
    back.reserve(8);
    const auto take_all = [&] {
        block_ref b;
        while (l.take_one(b)) {
            BOOST_REQUIRE_EQUAL(b.records, 4u);
            taken += b.records;
            ++blocks;
            back.push_back(b.index);
        }
        for (const std::uint32_t i : back) l.give_back(i);
        back.clear();
    };
    test::allocation_scope allocs; // from the first poll: the list of lanes to commit never grows
    for (int i = 0; i < 2000; ++i) {
        r.w->poll(now += 10);
        take_all();
        BOOST_REQUIRE_LE(r.core_counters.get(counter::records_routed) - taken, 4u);
    }
    BOOST_TEST(allocs.count() == 0u);
    BOOST_TEST(blocks > 2000u * 4);
}

BOOST_AUTO_TEST_CASE(worker_and_egress_on_two_threads_keep_order_and_count) {
    std::mt19937 rng(7);
    std::vector<std::unique_ptr<source>> v;
    v.push_back(
        std::make_unique<memory_source>("a", traffic(500, 40, 64, 0, rng), unknown_source_partition, 1, 8));
    v.push_back(
        std::make_unique<memory_source>("b", traffic(500, 40, 64, 1, rng), unknown_source_partition, 1, 8));
    // Lossless memory sources would never drop; these are lossy, so make the
    // lanes big enough that nothing has to be dropped while egress keeps up,
    // and check the accounting either way.
    rig r(hash_params(6), std::move(v), 8, 512);
    std::atomic<bool> done{false};
    std::thread eg([&] {
        while (!done.load(std::memory_order_acquire)) r.e->poll();
        for (int i = 0; i < 1000000 && !r.e->idle(); ++i) r.e->poll();
    });
    std::uint64_t now = 0;
    int idle = 0;
    while (idle < 3) idle = r.w->poll(now += 100) == 0 && !r.w->blocked() ? idle + 1 : 0;
    r.w->stop_sources();
    while (!r.w->drained()) r.w->poll(now += 100);
    r.w->flush_all();
    done.store(true, std::memory_order_release);
    eg.join();
    const auto dropped = r.core_counters.get(counter::drop_ring_full);
    BOOST_TEST(r.got.total() + dropped == 40000u);
    if (dropped == 0) r.got.verify(r.params);
    // Order holds even with drops: each partition's (source, key) seq increases.
    for (const auto& part : r.got.by_partition) {
        std::map<std::pair<std::uint32_t, std::string>, std::uint64_t> last;
        for (const rec& x : part) {
            auto& l = last[{x.source, x.key}];
            BOOST_REQUIRE_GT(x.seq, l);
            l = x.seq;
        }
    }
}

/// A memory source behind a relay: the worker gets the relay's consumer side.
struct relayed {
    source_relay relay{64};
    memory_source* real = nullptr;
    std::vector<std::unique_ptr<source>> consumer;
    explicit relayed(std::vector<std::vector<std::byte>> d) {
        auto m = std::make_unique<memory_source>("mem", std::move(d), unknown_source_partition, 1, 8);
        real = m.get();
        relay.attach(std::move(m));
        consumer.push_back(relay.consumer());
    }
};

BOOST_AUTO_TEST_CASE(a_relayed_source_is_polled_by_egress_and_loses_nothing) {
    std::mt19937 rng(11);
    relayed src(traffic(500, 40, 64, 0, rng));
    BOOST_TEST(src.consumer[0]->name() == "mem");
    rig r(hash_params(6), std::move(src.consumer), 8, 512, backpressure_policy::block, 0, false,
          {&src.relay});
    std::atomic<bool> done{false};
    std::size_t left_out = 1; // chunks the source still had out when egress closed
    std::thread eg([&] {
        while (!done.load(std::memory_order_acquire)) r.e->poll();
        r.e->poll(); // the core's last releases came before `done`
        for (int i = 0; i < 1000000 && !r.e->idle(); ++i) r.e->poll();
        left_out = src.real->outstanding();
        r.e->close(); // detaches the relay: the source is gone after this
    });
    std::uint64_t now = 0;
    // Until every record is in (the relay's thread may lag), then stop and drain.
    for (int i = 0; i < 50'000'000 && r.core_counters.get(counter::records_in) < 20000u; ++i)
        r.w->poll(now += 100);
    r.w->stop_sources();
    while (!r.w->drained()) r.w->poll(now += 100);
    r.w->flush_all();
    done.store(true, std::memory_order_release);
    eg.join();
    // The relaying thread polled the source (and counted its datagrams); the
    // core decoded every record; every chunk went back to the source.
    BOOST_TEST(r.egress_counters.get(counter::datagrams_in) == 500u);
    BOOST_TEST(r.core_counters.get(counter::datagrams_in) == 0u);
    BOOST_TEST(r.core_counters.get(counter::records_in) == 20000u);
    const auto dropped = r.core_counters.get(counter::drop_ring_full);
    BOOST_TEST(r.got.total() + dropped == 20000u);
    if (dropped == 0) r.got.verify(r.params);
    BOOST_TEST(left_out == 0u);
}

BOOST_AUTO_TEST_CASE(a_core_waits_for_chunks_its_relay_has_not_passed_on_yet) {
    std::mt19937 rng(12);
    relayed src(traffic(4, 10, 8, 0, rng));
    rig r(hash_params(2), std::move(src.consumer), 8, 512, backpressure_policy::block, 0, false,
          {&src.relay});
    counter_block relay_counters;
    std::uint64_t now = 0;
    // The core stops before the relay has run: its poll finds nothing, but
    // the relay may still be holding chunks it polled before the stop, so
    // the core is not drained until the relay says it has passed on all.
    r.w->stop_sources();
    BOOST_TEST(r.w->poll(now += 10) == 0u);
    BOOST_TEST(!r.w->drained());
    // Deterministic stand-in for the race: the relay's first pump after the
    // stop forwards it to the source, whose poll then comes back empty.
    BOOST_TEST(src.relay.pump(relay_counters) == 0u);
    BOOST_TEST(r.w->poll(now += 10) == 0u);
    BOOST_TEST(r.w->drained());
    src.relay.detach(relay_counters);
    BOOST_TEST(relay_counters.get(counter::datagrams_in) == 0u);
    BOOST_TEST(relay_counters.get(counter::drop_shutdown_datagrams) == 0u);
}

/// A source that hands over what it received before stop() after it, as
/// sources may (here: everything; stop only ends the replay's next round).
class late_source final : public source {
public:
    explicit late_source(std::vector<std::vector<std::byte>> d)
        : inner_("late", std::move(d), unknown_source_partition, 1, 8) {}
    std::size_t poll(std::span<rx_chunk> out, counter_block& c) noexcept override {
        return inner_.poll(out, c);
    }
    void release(std::span<const rx_chunk> chunks) noexcept override { inner_.release(chunks); }
    [[nodiscard]] bool lossless() const noexcept override { return false; }
    [[nodiscard]] bool finished() const noexcept override { return inner_.finished(); }
    [[nodiscard]] std::string_view name() const noexcept override { return "late"; }

private:
    memory_source inner_;
};

BOOST_AUTO_TEST_CASE(a_core_waits_for_chunks_its_relay_passes_on_after_the_stop) {
    std::mt19937 rng(14);
    source_relay relay(64);
    relay.attach(std::make_unique<late_source>(traffic(4, 10, 8, 0, rng)));
    std::vector<std::unique_ptr<source>> consumer;
    consumer.push_back(relay.consumer());
    rig r(hash_params(2), std::move(consumer), 8, 512, backpressure_policy::block, 0, false, {&relay});
    counter_block relay_counters;
    std::uint64_t now = 0;
    // The core stops and finds nothing: a lossy source would count as
    // drained now, but the relay has not settled.
    r.w->stop_sources();
    BOOST_TEST(r.w->poll(now += 10) == 0u);
    BOOST_TEST(!r.w->drained());
    // The relay passes on what its source still hands over (4 datagrams)...
    BOOST_TEST(relay.pump(relay_counters) == 4u);
    BOOST_TEST(!r.w->drained());
    // ...then finds it empty and settles, with the chunks still in its ring:
    // the core's last poll found nothing, yet it is not drained.
    BOOST_TEST(relay.pump(relay_counters) == 0u);
    BOOST_TEST(!r.w->drained());
    r.run(true, now);
    BOOST_TEST(r.w->drained());
    BOOST_TEST(r.core_counters.get(counter::records_in) == 40u);
    BOOST_TEST(r.got.total() == 40u);
}

BOOST_AUTO_TEST_CASE(abandoning_counts_what_is_still_in_the_relay) {
    std::mt19937 rng(15);
    relayed src(traffic(20, 10, 8, 0, rng));
    rig r(hash_params(2), std::move(src.consumer), 8, 512, backpressure_policy::block, 0, false,
          {&src.relay});
    counter_block relay_counters;
    src.relay.pump(relay_counters); // 8 datagrams (the source's per-poll limit) wait in the ring
    BOOST_TEST(relay_counters.get(counter::datagrams_in) == 8u);
    r.w->stop_sources();
    r.w->abandon(); // the drain timed out: what the ring holds is counted, not lost
    BOOST_TEST(r.core_counters.get(counter::records_in) == 80u);
    BOOST_TEST(r.core_counters.get(counter::drop_shutdown) == 80u);
    src.relay.pump(relay_counters); // takes the released chunks back
    BOOST_TEST(src.real->outstanding() == 0u);
}

/// A late_source that reports, to a count its owner keeps, every chunk given
/// back to it: what it got back before it was destroyed stays known.
class tracked_source final : public source {
public:
    tracked_source(std::vector<std::vector<std::byte>> d, std::size_t& released)
        : inner_("tracked", std::move(d), unknown_source_partition, 1, 8), released_(released) {}
    std::size_t poll(std::span<rx_chunk> out, counter_block& c) noexcept override {
        return inner_.poll(out, c);
    }
    void release(std::span<const rx_chunk> chunks) noexcept override {
        released_ += chunks.size();
        inner_.release(chunks);
    }
    [[nodiscard]] bool lossless() const noexcept override { return false; }
    [[nodiscard]] bool finished() const noexcept override { return inner_.finished(); }
    [[nodiscard]] std::string_view name() const noexcept override { return "tracked"; }

private:
    memory_source inner_;
    std::size_t& released_;
};

BOOST_AUTO_TEST_CASE(datagrams_a_relay_passes_on_after_its_core_gave_up_are_counted) {
    // What a drain timeout can leave: the core abandons, then the relay's
    // thread passes on what its source still hands over after the stop (or
    // polled before it saw the stop), which no core will ever take. Egress's
    // abandon detaches the relay: those datagrams are counted where their
    // datagrams_in were, and their buffers go back to the source before it
    // is destroyed.
    std::mt19937 rng(16);
    std::size_t released = 0;
    source_relay relay(64);
    relay.attach(std::make_unique<tracked_source>(traffic(20, 10, 8, 0, rng), released));
    std::vector<std::unique_ptr<source>> consumer;
    consumer.push_back(relay.consumer());
    rig r(hash_params(2), std::move(consumer), 8, 512, backpressure_policy::block, 0, false, {&relay});
    r.w->stop_sources();
    r.w->abandon(); // nothing in the ring yet
    BOOST_TEST(r.core_counters.get(counter::drop_shutdown) == 0u);
    BOOST_TEST(relay.pump(r.egress_counters) == 8u); // the source's per-poll limit
    BOOST_TEST(r.egress_counters.get(counter::datagrams_in) == 8u);
    r.e->abandon(counter::drop_shutdown, r.egress_counters);
    BOOST_TEST(!relay.attached());
    BOOST_TEST(r.egress_counters.get(counter::drop_shutdown_datagrams) == 8u);
    BOOST_TEST(r.egress_counters.get(counter::drop_shutdown) == 0u); // datagrams, not records as well
    BOOST_TEST(released == 8u);
    BOOST_TEST(r.core_counters.get(counter::records_in) == 0u);
}

BOOST_AUTO_TEST_CASE(only_attached_lossy_sources_are_relayed) {
    std::mt19937 rng(16);
    source_relay relay;
    BOOST_CHECK_THROW((void)relay.consumer(), std::logic_error);
    counter_block c;
    BOOST_CHECK_THROW(egress({}, c, {&relay}), std::invalid_argument);
    BOOST_CHECK_THROW(relay.attach(std::make_unique<memory_source>("tcp-like", traffic(1, 1, 1, 0, rng),
                                                                   unknown_source_partition, 1, 8, true)),
                      std::invalid_argument);
    BOOST_CHECK_THROW(source_relay(32), std::invalid_argument);  // below a core's poll
    BOOST_CHECK_THROW(source_relay(100), std::invalid_argument); // not a power of two
}

BOOST_AUTO_TEST_CASE(a_relay_keeps_its_chunks_within_its_ring_and_releases_them_all) {
    std::mt19937 rng(13);
    auto m =
        std::make_unique<memory_source>("mem", traffic(300, 4, 8, 0, rng), unknown_source_partition, 1, 64);
    memory_source* real = m.get();
    source_relay relay(64);
    relay.attach(std::move(m));
    auto core_side = relay.consumer();
    counter_block c;
    // The core takes nothing: the relay stops polling at the ring's size.
    for (int i = 0; i < 10; ++i) relay.pump(c);
    BOOST_TEST(real->outstanding() == 64u);
    std::array<rx_chunk, 64> got;
    BOOST_TEST(core_side->poll(got, c) == 64u);
    BOOST_TEST(got[0].length == 64u); // 4 records of 16 bytes
    // Taken but not given back: still out, so still no room.
    relay.pump(c);
    BOOST_TEST(real->outstanding() == 64u);
    core_side->release(std::span<const rx_chunk>(got.data(), 64));
    relay.pump(c); // releases the 64, polls the next 64
    BOOST_TEST(real->outstanding() == 64u);
    BOOST_TEST(c.get(counter::datagrams_in) == 128u);
    // Stopped: settling until the relay has seen the stop and its source
    // came back empty; finished only once every chunk is back.
    core_side->stop();
    BOOST_TEST(core_side->settling());
    relay.pump(c);
    BOOST_TEST(core_side->poll(got, c) == 64u);
    // The ring was full: the relay has not seen its source come back empty.
    BOOST_TEST(core_side->settling());
    BOOST_TEST(!core_side->finished());
    core_side->release(std::span<const rx_chunk>(got.data(), 64));
    relay.pump(c);
    BOOST_TEST(!core_side->settling());
    BOOST_TEST(real->outstanding() == 0u);
    BOOST_TEST(core_side->finished());
    BOOST_TEST(c.get(counter::datagrams_in) == 128u); // nothing polled after the stop
}

BOOST_AUTO_TEST_CASE(reprogramming_between_bursts_switches_the_strategy) {
    std::mt19937 rng(8);
    auto d = traffic(20, 30, 40, 0, rng);
    routing_params fan;
    fan.strategy = strategy_kind::fan_in;
    fan.partitions = 4;
    fan.fan_in_target = partition_id{2};
    std::vector<std::unique_ptr<source>> v;
    // Two rounds of the same traffic: the first under fan_in, the second hashed.
    auto* src = new memory_source("mem", d, unknown_source_partition, 2, 8);
    v.emplace_back(src);
    rig r(fan, std::move(v), 64, 256);
    std::uint64_t now = 0;
    // The first round: 20 datagrams, 8 per poll.
    while (r.core_counters.get(counter::records_in) < 600) {
        r.w->poll(now += 10);
        r.e->poll();
    }
    BOOST_REQUIRE(r.w->between_bursts());
    // A plan with another N is refused and changes nothing.
    routing_params wrong = hash_params(5);
    record_decoder keyed(r.format, wrong.keys, 256);
    BOOST_CHECK_THROW(r.w->reprogram(wrong, {&keyed}), std::invalid_argument);
    const routing_params hashed = hash_params(4);
    r.w->reprogram(hashed, {&keyed});
    r.run(true, now);
    BOOST_TEST(r.got.total() == 1200u);
    // What was routed before the switch is all on partition 2; after it, every
    // record is on its hash partition.
    std::size_t on_two = r.got.by_partition[2].size();
    BOOST_TEST(on_two >= 600u);
    const partition_table table(4, hashed.key_groups);
    std::size_t hashed_ok = 0;
    for (std::uint32_t p = 0; p < 4; ++p)
        for (const rec& x : r.got.by_partition[p])
            hashed_ok += table(xxh3_64(x.key.data(), x.key.size(), hashed.seed)) == partition_id{p};
    BOOST_TEST(hashed_ok >= 600u);
    BOOST_TEST(r.got.by_partition[0].size() + r.got.by_partition[1].size() + r.got.by_partition[3].size() >
               0u);
}

BOOST_AUTO_TEST_CASE(reprogramming_to_sticky_makes_the_decoder_read_source_partitions) {
    // always_hash does not read source partitions, so the worker tells its
    // decoder not to fill them (only to slice every key while framing); a
    // switch to sticky_partition must turn them back on, or every record
    // after it would lack its source partition.
    std::mt19937 rng(9);
    auto d = traffic(20, 30, 40, 3, rng);
    std::vector<std::unique_ptr<source>> v;
    // Two rounds of the same 20 datagrams, 10 per poll: the switch comes
    // exactly between the rounds.
    v.emplace_back(new memory_source("mem", d, unknown_source_partition, 2, 10));
    rig r(hash_params(4), std::move(v), 64, 256);
    BOOST_TEST(r.decoder->wanted_metadata() == metadata_keys);
    std::uint64_t now = 0;
    while (r.core_counters.get(counter::records_in) < 600) {
        r.w->poll(now += 10);
        r.e->poll();
    }
    BOOST_REQUIRE(r.w->between_bursts());
    routing_params sticky;
    sticky.strategy = strategy_kind::sticky_partition;
    sticky.partitions = 4;
    r.w->reprogram(sticky, {r.decoder.get()});
    BOOST_TEST(r.decoder->wanted_metadata() == metadata_source_partition);
    r.run(true, now);
    BOOST_TEST(r.got.total() == 1200u);
    BOOST_TEST(r.core_counters.get(counter::bad_source_partition) == 0u);
    // Both rounds carry the same 600 records; h of them hash to partition 3.
    // The first round went by hash (h on 3, 600 - h elsewhere), the second
    // by source partition 3 of 4 (all 600 on 3).
    const routing_params hashed = hash_params(4);
    const partition_table table(4, hashed.key_groups);
    std::size_t hash_to_three = 0;
    for (std::uint32_t p = 0; p < 4; ++p)
        for (const rec& x : r.got.by_partition[p])
            hash_to_three += table(xxh3_64(x.key.data(), x.key.size(), hashed.seed)) == partition_id{3};
    const std::size_t h = hash_to_three / 2;
    BOOST_TEST(r.got.by_partition[3].size() == 600u + h);
    BOOST_TEST(r.got.total() - r.got.by_partition[3].size() == 600u - h);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(idle_suite)

/// The sleeps an idle_policy asks for over `polls` polls, each with the
/// given work and held flag.
std::vector<unsigned> sleeps(idle_policy& idle, int polls, std::size_t work, bool held) {
    std::vector<unsigned> out;
    for (int i = 0; i < polls; ++i)
        idle.after(
            work, [&](unsigned us) { out.push_back(us); }, held);
    return out;
}

BOOST_AUTO_TEST_CASE(an_idle_thread_sleeps_longer_and_longer_up_to_a_millisecond) {
    idle_policy idle(2, 50);
    const std::vector<unsigned> want{50, 100, 200, 400, 800, 1000, 1000};
    BOOST_TEST(sleeps(idle, 14, 0, false) == want, boost::test_tools::per_element());
    BOOST_TEST(sleeps(idle, 3, 1, false).empty()); // work: no sleep, and the next idle spell starts over
    BOOST_TEST(sleeps(idle, 4, 0, false) == std::vector<unsigned>({50, 100}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_thread_waiting_for_room_naps_sleep_us_for_a_millisecond_then_backs_off) {
    // A core holding a burst for a full lane: egress frees a block within
    // microseconds, and a 1 ms nap right away would let every lane run dry.
    idle_policy idle(2, 50);
    BOOST_TEST(sleeps(idle, 6, 0, false) == std::vector<unsigned>({50, 100, 200}),
               boost::test_tools::per_element());
    std::vector<unsigned> want(20, 50u); // a millisecond of short naps
    for (unsigned us : {50u, 100u, 200u, 400u, 800u, 1000u, 1000u}) want.push_back(us);
    BOOST_TEST(sleeps(idle, 2 * 27, 0, true) == want, boost::test_tools::per_element());
    // Work, then held again: short naps again.
    BOOST_TEST(sleeps(idle, 1, 1, true).empty());
    BOOST_TEST(sleeps(idle, 6, 0, true) == std::vector<unsigned>(3, 50u), boost::test_tools::per_element());
    // Idle, not held, after work: the back-off starts over from sleep_us.
    BOOST_TEST(sleeps(idle, 1, 1, false).empty());
    BOOST_TEST(sleeps(idle, 4, 0, false) == std::vector<unsigned>({50, 100}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sleep_us_zero_is_pure_polling_held_or_not) {
    idle_policy idle(0, 0);
    BOOST_TEST(sleeps(idle, 100, 0, false).empty());
    BOOST_TEST(sleeps(idle, 100, 0, true).empty());
}

BOOST_AUTO_TEST_SUITE_END()
