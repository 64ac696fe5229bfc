// An in-process round trip over net_ring ports: frames built here go out on
// port 0 (net_ring loops each tx queue back to the rx queue of the same
// number), two dataplane threads each poll one rx queue through a DPDK
// source, route, and two egress threads send each partition through a DPDK
// sink on port 1 (tx queue = egress thread); a reader takes the frames back
// from port 1 and checks every record's partition, order and count, the
// frame headers, the skip counters, and that the hot loops allocate nothing.
// Then a sink whose transmit ring stops draining: backpressure, retries, and
// drop_tx/drop_sink once the retry window passes.

#include <boost/test/unit_test.hpp>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <new>
#include <thread>

#include "dataplane/pipeline/egress.hpp"
#include "dataplane/pipeline/worker.hpp"
#include "shardgate/hash.hpp"
#include "shardgate/partition_table.hpp"
#include "tests/dpdk/support.hpp"
#include "tests/support/allocation_counter.hpp"

using namespace shardgate;
using namespace shardgate::test;

namespace {

/// Allocations the worker and egress loops made, summed over their threads.
std::atomic<std::uint64_t> g_allocs{0};

constexpr std::uint32_t partitions = 4;
constexpr std::uint32_t egress_threads = 2;
constexpr std::uint32_t cores = 2;
constexpr std::uint32_t frames_per_core = 400;
constexpr std::uint32_t records_per_frame = 24;
constexpr std::uint32_t record_bytes = 16; // u64 seq, u32 source, char key[4]
constexpr std::uint64_t seed = 7;
// A hang guard only (a failing run ends with counts instead of hanging), not
// a speed assertion: the round trip takes well under a second.
constexpr auto give_up_after = std::chrono::seconds(120);

record_format small_format() {
    record_format f;
    f.kind = format_kind::fixed;
    f.record_size = record_bytes;
    f.fields = {
        {"seq", field_type::u64, 0, 0}, {"source", field_type::u32, 8, 0}, {"key", field_type::str, 12, 4}};
    f.source_partition_field = "source";
    f.sequence_field = "seq";
    return f;
}

routing_params hash_params() {
    routing_params p;
    p.strategy = strategy_kind::always_hash;
    p.partitions = partitions;
    p.keys = {column_key("key")};
    p.seed = seed;
    return p;
}

struct rec {
    std::uint64_t seq;
    std::uint32_t source;
    std::string key;
};

/// Frames for core (= source, = rx queue) `source`: records with keys K000..K063.
std::vector<std::vector<std::byte>> traffic(std::uint32_t source, std::uint16_t dst_port) {
    std::map<std::string, std::uint64_t> seq;
    std::vector<std::vector<std::byte>> frames;
    std::uint32_t x = 12345 + source;
    for (std::uint32_t f = 0; f < frames_per_core; ++f) {
        std::vector<std::byte> payload(records_per_frame * record_bytes);
        for (std::uint32_t i = 0; i < records_per_frame; ++i) {
            x = x * 1103515245u + 12345u;
            char k[8];
            std::snprintf(k, sizeof k, "K%03u", (x >> 16) % 64);
            const std::uint64_t s = ++seq[k];
            std::byte* r = payload.data() + i * record_bytes;
            std::memcpy(r, &s, 8);
            std::memcpy(r + 8, &source, 4);
            std::memcpy(r + 12, k, 4);
        }
        frames.push_back(ipv4_udp_frame(payload, {.dst_port = dst_port}));
    }
    return frames;
}

std::vector<std::byte> arp_frame() {
    std::vector<std::byte> f;
    put_be(f, 0xffffffffffff, 6);
    put_be(f, 0x020000000001, 6);
    put_be(f, 0x0806, 2);
    f.resize(60);
    return f;
}

/// What every thread reports back (read on the main thread after joins).
struct core_report {
    counter_block counters;
    dpdk_rx_status rx;
    std::size_t allocs = 0;
    std::string error;
};
struct egress_report {
    counter_block counters;
    std::vector<dpdk_tx_status> tx;
    std::size_t allocs = 0;
    std::string error;
};
struct frame_seen {
    std::uint16_t queue;
    std::vector<std::byte> bytes;
};

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

template <typename F>
std::string error_of(F f) {
    try {
        f();
        return "no error";
    } catch (const std::exception& e) {
        return e.what();
    }
}

void run_ring_round_trip(std::vector<std::string> eal_args) {
    require_drivers({"net_ring"});
    claim_eal();

    dpdk_config c;
    c.eal_args = std::move(eal_args);
    c.tx_drain_us = 100000; // refused frames are retried for 1 s: a descheduled reader loses nothing
    c.ports.resize(3);
    c.ports[0].device = "net_ring0";
    c.ports[0].rx_queues = c.ports[0].tx_queues = 2;
    c.ports[1].device = "net_ring1";
    c.ports[1].rx_queues = c.ports[1].tx_queues = 2;
    c.ports[1].ip = "10.0.0.1";
    c.ports[1].udp_port = 5000;
    c.ports[2].device = "net_ring2"; // for the error checks: one tx queue, no source ip
    for (auto& p : c.ports) p.rx_descriptors = p.tx_descriptors = 512;
    // What net_ring's rings can hold (1023 per tx queue, 5115 here) comes
    // out of the pool with the rest: 8191 mbufs would be too few.
    c.mempool_mbufs = 16383;
    auto env = dpdk_environment::start(c, egress_threads);
    // The EAL's memory is what the case asked for: hugepages unless --no-huge.
    const bool huge = std::find(c.eal_args.begin(), c.eal_args.end(), "--no-huge") == c.eal_args.end();
    BOOST_TEST(rte_eal_has_hugepages() == (huge ? 1 : 0));
    BOOST_TEST_MESSAGE("EAL arguments: " << [&] {
        std::string s;
        for (const auto& a : env->eal_arguments()) s += a + " ";
        return s;
    }());
    BOOST_TEST(error_of([&] { (void)dpdk_environment::start(c, 1); }).find("starts once per process") !=
               std::string::npos);
    // net_ring has no RSS: the two ports with two rx queues say so; links are up.
    std::vector<std::string> warnings = env->warnings();
    BOOST_TEST_MESSAGE("warnings: " << warnings.size());
    BOOST_REQUIRE_EQUAL(warnings.size(), 2u);
    BOOST_TEST(warnings[0] ==
               "dpdk.ports[0] (\"net_ring0\"): rx_queues = 2 but net_ring has no RSS; frames reach "
               "queues by the device's own rule");
    BOOST_TEST(
        warnings[1].starts_with("dpdk.ports[1] (\"net_ring1\"): rx_queues = 2 but net_ring has no RSS"));
    const auto stats = env->port_stats();
    BOOST_REQUIRE_EQUAL(stats.size(), 3u);
    BOOST_TEST(stats[0].driver == "net_ring");
    BOOST_TEST(stats[0].link_up);
    BOOST_TEST(!stats[0].rss);

    // Sources: core w polls (port 0, queue w); core 1 accepts only UDP to 9001.
    std::vector<source_config> sources(cores);
    for (std::uint32_t w = 0; w < cores; ++w) {
        sources[w].name = "ring" + std::to_string(w);
        sources[w].kind = source_kind::dpdk;
        sources[w].dpdk_port = 0;
        sources[w].dpdk_queue = static_cast<std::uint16_t>(w);
    }
    sources[1].udp_port = 9001;
    // Sinks: partition p -> port 1, 02:00:00:00:01:0p, 10.0.1.p:9100+p.
    std::vector<sink_config> sinks(partitions);
    for (std::uint32_t p = 0; p < partitions; ++p) {
        sinks[p].kind = sink_kind::dpdk;
        sinks[p].dpdk_port = 1;
        sinks[p].dpdk_mac = "02:00:00:00:01:0" + std::to_string(p);
        sinks[p].destination = {"10.0.1." + std::to_string(p), static_cast<std::uint16_t>(9100 + p)};
        sinks[p].uri = "dpdk://1/" + sinks[p].dpdk_mac + "/" + sinks[p].destination.to_string();
    }

    // Misuse is refused with the reason.
    {
        sink_config bad = sinks[0];
        bad.dpdk_port = 2;
        BOOST_TEST(
            error_of([&] { (void)env->make_sink(bad, 0, 1); }) ==
            "sinks[0] (dpdk://1/02:00:00:00:01:00/10.0.1.0:9100): egress thread 1 sends on dpdk.ports[2], "
            "which has tx_queues = 1; each egress thread needs its own transmit queue: set tx_queues >= 2");
        BOOST_TEST(error_of([&] { (void)env->make_sink(bad, 0, 0); }).find("dpdk.ports[2].ip is empty") !=
                   std::string::npos);
        BOOST_TEST(error_of([&] {
                       (void)env->make_sink(sinks[0], 0, 2);
                   }).find("egress thread 2 does not exist") != std::string::npos);
        source_config q5 = sources[0];
        q5.dpdk_queue = 5;
        BOOST_TEST(error_of([&] { (void)env->make_source(q5); }) ==
                   "ring0 (dpdk port 0 queue 5): dpdk_queue 5 is not a receive queue of dpdk.ports[0] "
                   "(rx_queues = 2)");
        auto first = env->make_source(sources[0]);
        // net_ring hands over mbufs another thread filled: the core prefetches them.
        BOOST_TEST(!first->received_in_cache());
        BOOST_TEST(
            error_of([&] { (void)env->make_source(sources[0]); }) ==
            "ring0 (dpdk port 0 queue 0): another source already polls this queue; each (port, queue) has "
            "exactly one polling core");
    } // `first` is gone: queue 0 is free again

    // Lanes [core][partition], sized so nothing can be dropped even if egress
    // stalls: each holds more blocks than its core can ever send it.
    const record_format format = small_format();
    const routing_params params = hash_params();
    std::vector<std::vector<std::unique_ptr<lane>>> lanes(cores);
    for (auto& per_core : lanes)
        for (std::uint32_t p = 0; p < partitions; ++p)
            per_core.push_back(std::make_unique<lane>(512, c.payload_bytes));

    std::array<core_report, cores> core_reports;
    std::array<egress_report, egress_threads> egress_reports;
    std::atomic<std::uint32_t> cores_done{0}, egress_done{0};
    std::atomic<bool> give_up{false};
    const auto deadline = std::chrono::steady_clock::now() + give_up_after;
    const auto past_deadline = [&] {
        if (std::chrono::steady_clock::now() > deadline) give_up = true;
        return give_up.load();
    };

    // Junk per queue: an ARP frame and a TCP segment (not_ipv4_udp), a bad
    // IPv4 checksum (malformed_frame); queue 1 also gets UDP to another port.
    const auto good0 = traffic(0, 9000), good1 = traffic(1, 9001);
    const auto rec0 = bytes_of("0123456789abcdef");
    std::array<std::vector<std::vector<std::byte>>, cores> junk{{
        {arp_frame(), ipv4_udp_frame(rec0, {.protocol = 6}), ipv4_udp_frame(rec0, {.break_checksum = true})},
        {arp_frame(), ipv4_udp_frame(rec0, {.protocol = 6}), ipv4_udp_frame(rec0, {.break_checksum = true}),
         ipv4_udp_frame(rec0, {.dst_port = 9002})},
    }};

    // Two frames on queue 0 whose payload cannot be used in place: one in two
    // chained mbufs, one ending 8 bytes before its buffer's end (decoders may
    // read 64 past a chunk). Each carries 10 records of source 7, seq 1 then 2.
    constexpr std::uint32_t special_records = 10;
    std::array<std::vector<std::byte>, 2> special;
    for (std::uint64_t s = 1; s <= 2; ++s) {
        std::vector<std::byte> payload(special_records * record_bytes);
        for (std::uint32_t i = 0; i < special_records; ++i) {
            const std::uint32_t source = 7;
            char k[8];
            std::snprintf(k, sizeof k, "K%03u", i);
            std::memcpy(payload.data() + i * record_bytes, &s, 8);
            std::memcpy(payload.data() + i * record_bytes + 8, &source, 4);
            std::memcpy(payload.data() + i * record_bytes + 12, k, 4);
        }
        special[s - 1] = ipv4_udp_frame(payload, {.dst_port = 9000});
    }

    std::vector<std::thread> threads;
    for (std::uint32_t w = 0; w < cores; ++w)
        threads.emplace_back([&, w] {
            core_report& r = core_reports[w];
            try {
                env->register_thread();
                record_decoder decoder(format, params.keys, c.payload_bytes);
                auto src = env->make_source(sources[w]);
                const source* raw = src.get();
                std::vector<worker_input> inputs;
                inputs.push_back({std::move(src), &decoder});
                std::vector<lane*> mine;
                for (auto& l : lanes[w]) mine.push_back(l.get());
                worker_options o;
                o.drain_deadline_ns = 5'000'000; // few partial blocks even when this thread is descheduled
                worker wk(o, params, std::move(inputs), mine, nullptr, r.counters);
                const std::uint64_t expected =
                    frames_per_core + junk[w].size() + (w == 0 ? special.size() : 0);
                {
                    test::allocation_scope allocs;
                    while (r.counters.get(counter::datagrams_in) < expected && !past_deadline())
                        if (wk.poll(now_ns()) == 0) std::this_thread::yield();
                    wk.stop_sources();
                    while (!wk.drained() && !past_deadline()) wk.poll(now_ns());
                    wk.flush_all();
                    g_allocs.fetch_add(allocs.count());
                }
                r.rx = dpdk_status(*raw);
            } catch (const std::exception& e) {
                r.error = e.what();
            }
            cores_done.fetch_add(1);
            env->unregister_thread();
        });
    for (std::uint32_t e = 0; e < egress_threads; ++e)
        threads.emplace_back([&, e] {
            egress_report& r = egress_reports[e];
            try {
                env->register_thread();
                std::vector<egress_partition> parts;
                std::vector<const sink*> mine;
                for (std::uint32_t p = e; p < partitions; p += egress_threads) {
                    egress_partition ep;
                    for (std::uint32_t w = 0; w < cores; ++w) ep.lanes.push_back(lanes[w][p].get());
                    ep.out = env->make_sink(sinks[p], p, e);
                    mine.push_back(ep.out.get());
                    parts.push_back(std::move(ep));
                }
                egress eg(std::move(parts), r.counters);
                {
                    test::allocation_scope allocs;
                    while (!(cores_done.load() == cores && eg.idle()) && !past_deadline())
                        if (eg.poll() == 0) std::this_thread::yield();
                    eg.close();
                    g_allocs.fetch_add(allocs.count());
                }
                for (const sink* s : mine) r.tx.push_back(dpdk_status(*s));
            } catch (const std::exception& ex) {
                r.error = ex.what();
            }
            egress_done.fetch_add(1);
            env->unregister_thread();
        });

    // The reader: every frame port 1 sends comes back on its rx queue of the
    // same number. Not registered as an lcore: it only receives and frees.
    std::vector<frame_seen> seen;
    std::thread reader([&] {
        const std::uint16_t out_port = env->port_id(1);
        std::array<rte_mbuf*, 32> rx;
        while (!past_deadline()) {
            const bool last = egress_done.load() == egress_threads; // read before the final drain
            std::size_t got = 0;
            for (std::uint16_t q = 0; q < egress_threads; ++q) {
                const std::uint16_t n = rte_eth_rx_burst(out_port, q, rx.data(), rx.size());
                for (std::uint16_t i = 0; i < n; ++i) {
                    frame_seen f{q, std::vector<std::byte>(rte_pktmbuf_pkt_len(rx[i]))};
                    std::memcpy(f.bytes.data(), rte_pktmbuf_mtod(rx[i], const void*), f.bytes.size());
                    seen.push_back(std::move(f));
                }
                if (n) rte_pktmbuf_free_bulk(rx.data(), n);
                got += n;
            }
            if (last && got == 0) break;
            if (got == 0) std::this_thread::yield();
        }
    });

    // The injector (this thread, the EAL's main lcore): frames into port 0,
    // queue w for core w, retried while the ring is full.
    rte_mempool* pool =
        rte_pktmbuf_pool_create("test_inject", 4095, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    BOOST_REQUIRE_MESSAGE(pool != nullptr, "rte_pktmbuf_pool_create: " << rte_strerror(rte_errno));
    const std::uint16_t in_port = env->port_id(0);
    const auto inject = [&](std::uint16_t q, const std::vector<std::byte>& frame) {
        rte_mbuf* m = nullptr;
        while ((m = rte_pktmbuf_alloc(pool)) == nullptr && !past_deadline()) std::this_thread::yield();
        if (m == nullptr) return;
        std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(frame.size())), frame.data(),
                    frame.size());
        while (rte_eth_tx_burst(in_port, q, &m, 1) == 0 && !past_deadline()) std::this_thread::yield();
    };
    for (std::uint16_t q = 0; q < cores; ++q)
        for (const auto& f : junk[q]) inject(q, f);
    {
        // special[0] in two segments: 30 bytes, then the rest.
        rte_mbuf* a = rte_pktmbuf_alloc(pool);
        rte_mbuf* b = rte_pktmbuf_alloc(pool);
        BOOST_REQUIRE(a != nullptr && b != nullptr);
        const auto& f = special[0];
        std::memcpy(rte_pktmbuf_append(a, 30), f.data(), 30);
        std::memcpy(rte_pktmbuf_append(b, static_cast<std::uint16_t>(f.size() - 30)), f.data() + 30,
                    f.size() - 30);
        BOOST_REQUIRE_EQUAL(rte_pktmbuf_chain(a, b), 0);
        // special[1] placed so that its payload ends 8 bytes before the buffer's end.
        rte_mbuf* near_end = rte_pktmbuf_alloc(pool);
        BOOST_REQUIRE(near_end != nullptr);
        const auto& g = special[1];
        near_end->data_off = static_cast<std::uint16_t>(near_end->buf_len - g.size() - 8);
        near_end->data_len = static_cast<std::uint16_t>(g.size());
        near_end->pkt_len = static_cast<std::uint32_t>(g.size());
        std::memcpy(rte_pktmbuf_mtod(near_end, void*), g.data(), g.size());
        // A broken chain: its pkt_len claims 100 bytes its segments do not
        // hold. Counted as a short frame; nothing reads past the chain.
        rte_mbuf* broken = rte_pktmbuf_alloc(pool);
        rte_mbuf* tail = rte_pktmbuf_alloc(pool);
        BOOST_REQUIRE(broken != nullptr && tail != nullptr);
        std::memcpy(rte_pktmbuf_append(broken, 30), f.data(), 30);
        std::memcpy(rte_pktmbuf_append(tail, static_cast<std::uint16_t>(f.size() - 30)), f.data() + 30,
                    f.size() - 30);
        BOOST_REQUIRE_EQUAL(rte_pktmbuf_chain(broken, tail), 0);
        broken->pkt_len += 100;
        for (rte_mbuf* m : {a, near_end, broken})
            while (rte_eth_tx_burst(in_port, 0, &m, 1) == 0 && !past_deadline()) std::this_thread::yield();
    }
    for (std::uint32_t i = 0; i < frames_per_core; ++i) {
        inject(0, good0[i]);
        inject(1, good1[i]);
    }
    for (auto& t : threads) t.join();
    reader.join();
    const auto port_stats = env->port_stats();

    BOOST_REQUIRE_MESSAGE(!give_up.load(), "the round trip did not finish within the hang guard");
    for (const auto& r : core_reports) BOOST_REQUIRE_MESSAGE(r.error.empty(), r.error);
    for (const auto& r : egress_reports) BOOST_REQUIRE_MESSAGE(r.error.empty(), r.error);

    // Counters: everything in, everything out, junk counted by reason.
    const auto core_sum = [&](counter k) {
        std::uint64_t v = 0;
        for (const auto& r : core_reports) v += r.counters.get(k);
        return v;
    };
    const auto egress_sum = [&](counter k) {
        std::uint64_t v = 0;
        for (const auto& r : egress_reports) v += r.counters.get(k);
        return v;
    };
    const std::uint64_t total =
        std::uint64_t{cores} * frames_per_core * records_per_frame + 2 * special_records;
    BOOST_TEST(core_sum(counter::records_in) == total);
    BOOST_TEST(core_sum(counter::records_routed) == total);
    BOOST_TEST(core_sum(counter::drop_ring_full) == 0u);
    BOOST_TEST(core_sum(counter::not_ipv4_udp) == 5u);    // 2 ARP, 2 TCP, 1 to another UDP port
    BOOST_TEST(core_sum(counter::malformed_frame) == 3u); // 2 bad IPv4 checksums, 1 broken chain
    BOOST_TEST(egress_sum(counter::records_out) == total);
    BOOST_TEST(egress_sum(counter::drop_tx) == 0u);
    BOOST_TEST(egress_sum(counter::drop_sink) == 0u);
    BOOST_TEST(core_reports[0].rx.not_ip == 1u);
    BOOST_TEST(core_reports[0].rx.not_udp == 1u);
    BOOST_TEST(core_reports[0].rx.bad_ip_checksum == 1u);
    BOOST_TEST(core_reports[0].rx.short_ethernet == 1u); // the broken chain
    BOOST_TEST(core_reports[0].rx.wrong_port == 0u);
    BOOST_TEST(core_reports[1].rx.wrong_port == 1u);
    BOOST_TEST(core_reports[1].rx.held == 0u);
    BOOST_TEST(core_reports[0].rx.copied == 2u); // the chained frame and the one at its buffer's end
    BOOST_TEST(core_reports[1].rx.copied == 0u);
    for (const auto& r : core_reports) {
        // Every frame counted once: handed on, dropped for want of scratch, or skipped by reason.
        const dpdk_rx_status& x = r.rx;
        BOOST_TEST(x.frames == x.datagrams + x.no_scratch + x.not_ip + x.not_udp + x.fragment + x.wrong_port +
                                   x.short_ethernet + x.bad_ip_header + x.bad_ip_length + x.bad_ip_checksum +
                                   x.bad_udp_length + x.bad_l4_checksum);
    }
    BOOST_TEST(g_allocs.load() == 0u); // worker and egress loops allocated nothing
    {
        // The run summary's port lines add what the finished sources and
        // sinks did: every skip by reason, frames sent.
        std::uint64_t sent = 0;
        for (const auto& r : egress_reports)
            for (const auto& t : r.tx) sent += t.frames_sent;
        const std::string text = env->stats_text();
        BOOST_TEST_MESSAGE(text);
        BOOST_TEST(
            text.find("skipped not_ip 2, not_udp 2, wrong_port 1, short_ethernet 1, bad_ip_checksum 2; "
                      "2 payloads copied to scratch\n") != std::string::npos);
        BOOST_TEST(text.find("  sinks: " + std::to_string(sent) + " frames sent, 0 dropped; ") !=
                   std::string::npos);
        // net_ring has no RSS: one ring per queue, each polled by one core.
        BOOST_TEST(text.find("  rx queues (the device's own spread), frames: 0=" +
                             std::to_string(core_reports[0].rx.frames) +
                             " 1=" + std::to_string(core_reports[1].rx.frames) + "\n") != std::string::npos);
    }

    // Frames: headers per partition, on the egress thread's queue, checksums valid.
    const std::string port1_mac = port_stats[1].mac;
    std::vector<std::vector<rec>> by_partition(partitions);
    std::uint64_t frames_sent = 0;
    for (const auto& r : egress_reports)
        for (const auto& t : r.tx) frames_sent += t.frames_sent;
    BOOST_TEST(seen.size() == frames_sent);
    BOOST_TEST(port_stats[1].opackets == frames_sent);
    for (const frame_seen& f : seen) {
        const parsed_frame pf = parse_frame(std::span(f.bytes.data(), f.bytes.size()));
        BOOST_REQUIRE(pf.verdict == frame_verdict::udp);
        const std::uint32_t p = pf.dst_port - 9100u;
        BOOST_REQUIRE_LT(p, partitions);
        BOOST_TEST(f.queue == p % egress_threads);
        const auto mac_at = [&](std::size_t at) {
            mac_address m;
            for (std::size_t i = 0; i < 6; ++i) m[i] = std::to_integer<std::uint8_t>(f.bytes[at + i]);
            return to_string(m);
        };
        BOOST_TEST(mac_at(0) == sinks[p].dpdk_mac);
        BOOST_TEST(mac_at(6) == port1_mac);
        BOOST_TEST(internet_checksum(std::span<const std::byte>(f.bytes.data() + 14, 20)) == 0);
        const auto be32 = [&](std::size_t at) {
            std::uint32_t v = 0;
            for (std::size_t i = 0; i < 4; ++i) v = v << 8 | std::to_integer<std::uint32_t>(f.bytes[at + i]);
            return v;
        };
        BOOST_TEST(be32(14 + 12) == 0x0a000001u);     // 10.0.0.1
        BOOST_TEST(be32(14 + 16) == 0x0a000100u + p); // 10.0.1.p
        BOOST_TEST((be32(34) >> 16) == 5000u);        // source UDP port
        BOOST_REQUIRE_EQUAL(pf.payload_length % record_bytes, 0u);
        BOOST_TEST(pf.payload_length <= c.payload_bytes);
        for (std::uint32_t i = 0; i < pf.payload_length / record_bytes; ++i) {
            const std::byte* b = f.bytes.data() + pf.payload_offset + i * record_bytes;
            rec x;
            std::memcpy(&x.seq, b, 8);
            std::memcpy(&x.source, b + 8, 4);
            x.key.assign(reinterpret_cast<const char*>(b + 12), 4);
            by_partition[p].push_back(std::move(x));
        }
    }

    // Records: each key in its hash partition, per (source, key) 1, 2, 3, ... with none missing.
    const partition_table table(params.partitions, params.key_groups);
    std::map<std::pair<std::uint32_t, std::string>, std::uint64_t> last;
    std::uint64_t records = 0;
    for (std::uint32_t p = 0; p < partitions; ++p)
        for (const rec& x : by_partition[p]) {
            BOOST_REQUIRE(table(xxh3_64(x.key.data(), x.key.size(), seed)) == partition_id{p});
            auto& l = last[{x.source, x.key}];
            BOOST_REQUIRE_EQUAL(x.seq, l + 1);
            l = x.seq;
            ++records;
        }
    BOOST_TEST(records == total);
    for (std::uint32_t p = 0; p < partitions; ++p) BOOST_TEST(!by_partition[p].empty());
    BOOST_TEST_MESSAGE(records << " records in " << seen.size() << " frames back from " << partitions
                               << " partitions, each key in its partition, in order");
    rte_mempool_free(pool);

    // Zero copy: a lane of 4 blocks sends 200 frames through one sink. The
    // first send of each block is a copy; after it the block lives in an mbuf
    // and the records written into it leave without one. Every frame read
    // back carries exactly its block's records, in order; destroying the
    // sink points the blocks back at the lane's memory.
    {
        lane l(4, c.payload_bytes);
        counter_block counters;
        auto out = env->make_sink(sinks[1], 1, 0);
        constexpr std::uint32_t frames = 200, per = 3;
        std::array<rte_mbuf*, 32> rx;
        std::uint32_t next = 0;
        bool intact = true;
        const auto drain = [&] {
            for (std::uint16_t n; (n = rte_eth_rx_burst(env->port_id(1), 0, rx.data(), rx.size())) != 0;) {
                for (std::uint16_t i = 0; i < n; ++i) {
                    const auto* d = rte_pktmbuf_mtod(rx[i], const std::byte*);
                    const parsed_frame pf = parse_frame(std::span(d, rte_pktmbuf_data_len(rx[i])));
                    intact &= pf.verdict == frame_verdict::udp && pf.payload_length == per * record_bytes;
                    for (std::uint32_t r = 0; intact && r < per; ++r) {
                        std::uint32_t k = 0, rr = 0;
                        std::memcpy(&k, d + pf.payload_offset + r * record_bytes, 4);
                        std::memcpy(&rr, d + pf.payload_offset + r * record_bytes + 4, 4);
                        intact &=
                            k == next && rr == r &&
                            std::to_integer<char>(d[pf.payload_offset + (r + 1) * record_bytes - 1]) == 'z';
                    }
                    ++next;
                }
                rte_pktmbuf_free_bulk(rx.data(), n);
            }
        };
        for (std::uint32_t sent = 0; sent < frames && !past_deadline();) {
            std::uint32_t index = 0;
            if (!l.acquire(index)) {
                // Flushes at the drain deadline; sent blocks come back. Frames
                // stay in the ring until the end (it holds 1023), so a block
                // reused while its frame is still queued would show.
                out->poll(counters);
                continue;
            }
            for (std::uint32_t r = 0; r < per; ++r) {
                std::byte* rec = l.data(index) + r * record_bytes;
                std::memset(rec, 'z', record_bytes);
                std::memcpy(rec, &sent, 4);
                std::memcpy(rec + 4, &r, 4);
            }
            BOOST_REQUIRE(
                out->submit(tx_block{l.taken_data(index), per * record_bytes, per, &l, index}, counters));
            ++sent;
        }
        out->close(counters);
        drain();
        const dpdk_tx_status st = dpdk_status(*out);
        BOOST_TEST(st.frames_sent == frames);
        BOOST_TEST(st.frames_copied == 4u);
        BOOST_TEST(st.blocks_bound == 4u);
        BOOST_TEST(next == frames);
        BOOST_TEST(intact);
        BOOST_TEST(counters.get(counter::records_out) == frames * per);
        BOOST_TEST(l.all_free());
        for (std::uint32_t i = 0; i < 4; ++i) BOOST_TEST(l.handle(i) != nullptr);
        out.reset();
        for (std::uint32_t i = 0; i < 4; ++i) {
            BOOST_TEST(l.handle(i) == nullptr);
            BOOST_TEST(l.data(i) == l.own_data(i));
            BOOST_TEST(l.taken_data(i) == l.own_data(i));
        }
    }

    // Two sinks on one transmit queue: one of them checks the queue's drain
    // deadline when polled (the first polled with frames waiting), and when
    // it is destroyed the other takes over, or a lone frame would wait for
    // a burst that never fills.
    {
        lane l(2, c.payload_bytes);
        counter_block counters;
        auto first = env->make_sink(sinks[0], 0, 0);
        auto second = env->make_sink(sinks[1], 1, 0);
        const auto send_one = [&](sink& via) {
            std::uint32_t index = 0;
            BOOST_REQUIRE(l.acquire(index));
            std::memset(l.data(index), 'd', record_bytes);
            BOOST_REQUIRE(via.submit(tx_block{l.taken_data(index), record_bytes, 1, &l, index}, counters));
        };
        send_one(*second);
        while (dpdk_status(*second).frames_sent == 0 && !past_deadline()) {
            first->poll(counters);
            second->poll(counters);
        }
        BOOST_TEST(dpdk_status(*second).frames_sent == 1u);
        first.reset();
        send_one(*second);
        while (dpdk_status(*second).frames_sent < 2 && !past_deadline()) second->poll(counters);
        BOOST_TEST(dpdk_status(*second).frames_sent == 2u);
        BOOST_TEST(l.all_free());
        second.reset();
        std::array<rte_mbuf*, 32> rx;
        std::uint32_t back = 0;
        for (std::uint16_t n; (n = rte_eth_rx_burst(env->port_id(1), 0, rx.data(), rx.size())) != 0;
             back += n)
            rte_pktmbuf_free_bulk(rx.data(), n);
        BOOST_TEST(back == 2u);
    }

    // A transmit queue that stops taking frames: port 1's ring 0 holds 1023
    // frames and nobody reads it now. The sink takes blocks until its buffer
    // is full, then refuses (backpressure); the refused frames are offered
    // again until the retry window (10 x tx_drain_us = 1 s here) passes, then
    // dropped and counted, and every block goes back to its lane.
    {
        lane l(2048, c.payload_bytes);
        counter_block counters;
        auto out = env->make_sink(sinks[0], 0, 0);
        std::uint32_t submitted = 0, index = 0;
        while (submitted < 2000 && l.acquire(index)) {
            std::memset(l.data(index), 'r', record_bytes);
            const tx_block b{l.taken_data(index), record_bytes, 1, &l, index};
            if (!out->submit(b, counters)) {
                l.give_back(index);
                break;
            }
            ++submitted;
        }
        constexpr std::uint32_t ring_capacity = 1023;
        BOOST_REQUIRE_GT(submitted, ring_capacity);
        while (dpdk_status(*out).frames_dropped == 0 && !past_deadline()) out->poll(counters);
        out->close(counters);
        const dpdk_tx_status st = dpdk_status(*out);
        BOOST_TEST(st.frames_sent == ring_capacity);
        BOOST_TEST(st.frames_dropped == submitted - ring_capacity);
        BOOST_TEST(st.retries > 0u);
        BOOST_TEST(st.held == 0u);
        BOOST_TEST(out->idle());
        BOOST_TEST(counters.get(counter::records_out) == ring_capacity);
        BOOST_TEST(counters.get(counter::drop_tx) == submitted - ring_capacity);
        BOOST_TEST(counters.get(counter::drop_sink) == submitted - ring_capacity);
        BOOST_TEST(out->records_dropped() == submitted - ring_capacity);
        BOOST_TEST(l.all_free());
        std::array<rte_mbuf*, 32> rx;
        std::uint32_t back = 0;
        for (std::uint16_t n; (n = rte_eth_rx_burst(env->port_id(1), 0, rx.data(), rx.size())) != 0;
             back += n)
            rte_pktmbuf_free_bulk(rx.data(), n);
        BOOST_TEST(back == ring_capacity);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(dpdk_ring)

BOOST_AUTO_TEST_CASE(round_trip_routes_every_record_in_order, *boost::unit_test::disabled()) {
    run_ring_round_trip(no_huge_args());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dpdk_hugepages)

BOOST_AUTO_TEST_CASE(round_trip_on_hugepages, *boost::unit_test::disabled()) {
    // 128 x 2 MiB covers the mbuf pools and rings of this test.
    if (free_hugepages() < 128)
        skip("needs 128 free hugepages (HugePages_Free in /proc/meminfo is " +
             std::to_string(free_hugepages()) + "); the same round trip runs without hugepages in dpdk_ring");
    run_ring_round_trip({"--no-pci"});
}

BOOST_AUTO_TEST_SUITE_END()
