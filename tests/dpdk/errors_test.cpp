// EAL and port set-up failures must name the problem and its remedy. Each
// case starts (and fails to start) the EAL, so meson runs each in its own
// process.

#include <boost/test/unit_test.hpp>

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "dataplane/pipeline/lane.hpp"
#include "dataplane/pipeline/sink.hpp"
#include "tests/dpdk/support.hpp"

using namespace shardgate;
using namespace shardgate::test;

namespace {

std::string start_error(const dpdk_config& c, std::vector<std::uint32_t> polled_rx_queues = {}) {
    claim_eal();
    try {
        auto env = dpdk_environment::start(c, 1, std::move(polled_rx_queues));
        return "started";
    } catch (const std::exception& e) {
        return e.what();
    }
}

std::string start_error(const std::vector<std::string>& eal_args, const std::string& device) {
    dpdk_config c;
    c.eal_args = eal_args;
    c.ports.push_back({});
    c.ports[0].device = device;
    return start_error(c);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

} // namespace

BOOST_AUTO_TEST_SUITE(dpdk_errors)

BOOST_AUTO_TEST_CASE(no_hugepages_names_the_remedy, *boost::unit_test::disabled()) {
    if (free_hugepages() > 0)
        skip("this machine has free hugepages, so the EAL starts without \"--no-huge\" and the error cannot "
             "occur");
    const std::string e = start_error({"--no-pci"}, "net_null0");
    BOOST_TEST_MESSAGE(e);
    BOOST_TEST(contains(e, "DPDK EAL initialisation failed"), e);
    BOOST_TEST(contains(e, "no hugepages are reserved (HugePages_Free is 0 in /proc/meminfo)"), e);
    BOOST_TEST(contains(e, "Add \"--no-huge\", \"-m\", \"256\" to dpdk.eal_args"), e);
}

BOOST_AUTO_TEST_CASE(unknown_vdev_driver, *boost::unit_test::disabled()) {
    const std::string e = start_error(no_huge_args(), "net_nosuch0,foo=1");
    BOOST_TEST_MESSAGE(e);
    BOOST_TEST(contains(e, "dpdk.ports[0]: device \"net_nosuch0,foo=1\" did not probe: "), e);
    BOOST_TEST(contains(e, "no installed DPDK net driver matches \"net_nosuch0\""), e);
    BOOST_TEST(contains(e, "net_pcap"), e); // the list of what is installed
}

BOOST_AUTO_TEST_CASE(vdev_that_rejects_its_arguments, *boost::unit_test::disabled()) {
    require_drivers({"net_pcap"});
    const std::string e = start_error(no_huge_args(), "net_pcap0,rx_pcap=/nonexistent/in.pcap");
    BOOST_TEST_MESSAGE(e);
    BOOST_TEST(
        contains(e, "dpdk.ports[0]: device \"net_pcap0,rx_pcap=/nonexistent/in.pcap\" did not probe: "), e);
    BOOST_TEST(contains(e, "check the net_pcap arguments"), e);
}

BOOST_AUTO_TEST_CASE(pci_device_with_no_pci, *boost::unit_test::disabled()) {
    const std::string e = start_error(no_huge_args(), "0000:03:00.0");
    BOOST_TEST_MESSAGE(e);
    BOOST_TEST(contains(e, "dpdk.ports[0]: device \"0000:03:00.0\" did not probe: "), e);
    BOOST_TEST(contains(e, "dpdk.eal_args contain \"--no-pci\""), e);
}

BOOST_AUTO_TEST_CASE(tap_with_fewer_tx_than_rx_queues_names_the_rule, *boost::unit_test::disabled()) {
    // The loader refuses this configuration; a port set up without it (the
    // environment's own API) must still get the rule with DPDK's refusal.
    require_drivers({"net_tap"});
    if (::access("/dev/net/tun", R_OK | W_OK) != 0)
        skip("/dev/net/tun is not usable here (" + std::string(std::strerror(errno)) +
             "): net_tap cannot create its interface");
    // net_tap creates a kernel interface at probe: in a network namespace of
    // this thread's own, never in the machine's (the EAL's threads, started
    // from this one later, share it).
    if (::unshare(CLONE_NEWNET) != 0)
        skip("cannot make a network namespace (unshare: " + std::string(std::strerror(errno)) +
             "; needs root) for net_tap's interface");
    dpdk_config c;
    c.eal_args = no_huge_args();
    c.ports.push_back({});
    c.ports[0].device = "net_tap0,iface=sgtap0";
    c.ports[0].rx_queues = 2;
    c.ports[0].tx_queues = 1;
    const std::string e = start_error(c, {2});
    BOOST_TEST_MESSAGE(e);
    BOOST_TEST(
        contains(e, "dpdk.ports[0] (\"net_tap0,iface=sgtap0\"): rte_eth_dev_configure(2 rx, 1 tx queues"), e);
    BOOST_TEST(contains(e, "net_tap needs as many tx as rx queues: try dpdk.ports[0].tx_queues = 2"), e);
}

namespace {
/// Port 0's one rx queue relayed (1024 chunks out); three tx queues, of
/// which the one egress thread sends on two (queue 0 of each port), which
/// buffer 96 each; the egress thread and one core caching up to 384 each:
/// 1984 mbufs held outside the pool at most.
dpdk_config pool_check_config(std::uint32_t mbufs) {
    dpdk_config c;
    c.eal_args = no_huge_args();
    c.mempool_mbufs = mbufs;
    c.mbuf_cache = 256;
    c.rx_on_egress = true;
    c.ports.resize(2);
    c.ports[0].device = "net_null0";
    c.ports[1].device = "net_null1";
    c.ports[1].tx_queues = 2;
    return c;
}

/// An environment on pool_check_config(mbufs) whose port 1 sinks can send
/// on, its thread registered (the caller unregisters it).
std::unique_ptr<dpdk_environment> start_for_sinks(std::uint32_t mbufs) {
    require_drivers({"net_null"});
    claim_eal();
    dpdk_config c = pool_check_config(mbufs);
    c.ports[1].ip = "10.0.0.1";
    auto env = dpdk_environment::start(c, 1, {1, 0});
    env->register_thread();
    return env;
}

/// A sink sending out of port 1 to one destination.
sink_config port1_sink() {
    sink_config sc;
    sc.kind = sink_kind::dpdk;
    sc.dpdk_port = 1;
    sc.dpdk_mac = "02:00:00:00:01:01";
    sc.destination = {"10.0.1.1", 9101};
    sc.uri = "dpdk://1/" + sc.dpdk_mac + "/" + sc.destination.to_string();
    return sc;
}

/// Sends `frames` one-record frames of 100 bytes from lane `l` through
/// `out`, waiting for blocks to come back as their frames leave, then
/// closes the sink.
void send_frames(sink& out, lane& l, std::uint32_t frames, counter_block& counters) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (std::uint32_t k = 0; k < frames; ++k) {
        std::uint32_t index = 0;
        while (!l.acquire(index)) {
            BOOST_REQUIRE(std::chrono::steady_clock::now() < give_up);
            out.poll(counters);
        }
        std::memset(l.data(index), 'r', 100);
        BOOST_REQUIRE(out.submit(tx_block{l.taken_data(index), 100, 1, &l, index}, counters));
    }
    out.close(counters);
}
} // namespace

BOOST_AUTO_TEST_CASE(mbuf_pool_one_above_what_is_held_starts, *boost::unit_test::disabled()) {
    require_drivers({"net_null"});
    BOOST_TEST(start_error(pool_check_config(1985), {1, 0}) == "started");
}

BOOST_AUTO_TEST_CASE(mbuf_pool_too_small_for_what_ports_and_threads_hold, *boost::unit_test::disabled()) {
    require_drivers({"net_null"});
    const std::string e = start_error(pool_check_config(1983), {1, 0});
    BOOST_TEST_MESSAGE(e);
    BOOST_TEST(contains(e, "dpdk.mempool_mbufs (1983) must exceed what the ports on NUMA socket"), e);
    BOOST_TEST(contains(e, "0 in NIC descriptors"), e);
    BOOST_TEST(contains(e, "+ 1024 held by sources (1024 per polled rx queue, relayed: dpdk.rx_on_egress)"),
               e);
    BOOST_TEST(contains(e, "+ 192 buffered for transmit (96 per tx queue an egress thread sends on)"), e);
    BOOST_TEST(contains(e, "+ 768 in per-thread caches (1.5 x dpdk.mbuf_cache for each of 2 threads) = 1984"),
               e);
    BOOST_TEST(contains(e, "set dpdk.mempool_mbufs to at least 1985, or lower dpdk.mbuf_cache"), e);
    BOOST_TEST(!contains(e, "lower the descriptors"), e); // virtual devices count none
}

BOOST_AUTO_TEST_CASE(lane_blocks_live_only_in_mbufs_the_pool_can_spare, *boost::unit_test::disabled()) {
    // 1991 mbufs, of which ports, sources, transmit buffers and thread caches
    // can hold 1984: 6 to spare for lane blocks to live in (zero-copy
    // transmit). A lane of 4 blocks fits; the next lane does not, and its
    // frames are copied; destroying the sink gives its 4 back.
    auto env = start_for_sinks(1991);
    const sink_config sc = port1_sink();
    counter_block counters;
    lane a(4, 256), b(4, 256);
    auto first = env->make_sink(sc, 1, 0);
    send_frames(*first, a, 40, counters);
    send_frames(*first, b, 40, counters);
    const dpdk_tx_status st = dpdk_status(*first);
    BOOST_TEST(st.frames_sent == 80u);
    BOOST_TEST(st.blocks_bound == 4u); // lane a's
    BOOST_TEST(st.frames_copied == 4u + 40u);
    BOOST_TEST(st.binding_refused == 1u);
    for (std::uint32_t i = 0; i < 4; ++i) {
        BOOST_TEST(a.handle(i) != nullptr);
        BOOST_TEST(b.handle(i) == nullptr);
    }
    first.reset(); // unbinds lane a and gives its 4 mbufs back
    BOOST_TEST(a.handle(0) == nullptr);
    auto second = env->make_sink(sc, 1, 0);
    send_frames(*second, b, 40, counters);
    BOOST_TEST(dpdk_status(*second).blocks_bound == 4u);
    BOOST_TEST(dpdk_status(*second).frames_copied == 4u);
    BOOST_TEST(dpdk_status(*second).binding_refused == 0u);
    BOOST_TEST(counters.get(counter::records_out) == 120u);
    second.reset();
    // The run summary says why frames were copied.
    BOOST_TEST(
        env->stats_text().find("1 sink copied frames because the mbuf pool could not spare an mbuf per "
                               "lane block (raise dpdk.mempool_mbufs") != std::string::npos,
        env->stats_text());
    env->unregister_thread();
}

BOOST_AUTO_TEST_CASE(a_lane_of_blocks_larger_than_an_mbuf_copies_and_reserves_nothing,
                     *boost::unit_test::disabled()) {
    // The pool's mbufs hold a block of dpdk.payload_bytes (1472 here) in
    // place; a lane of 4096-byte blocks does not fit them. Its frames are
    // copied, and it takes nothing from the 6 mbufs the pool can spare for
    // lane blocks: the same sink's next lane of 4 still lives in mbufs.
    auto env = start_for_sinks(1991);
    counter_block counters;
    lane big(4, 4096), small(4, 256);
    auto out = env->make_sink(port1_sink(), 1, 0);
    send_frames(*out, big, 20, counters);
    send_frames(*out, small, 20, counters);
    const dpdk_tx_status st = dpdk_status(*out);
    BOOST_TEST(st.frames_sent == 40u);
    BOOST_TEST(st.frames_copied == 20u + 4u); // every frame of the big lane, the first of each small block
    BOOST_TEST(st.blocks_bound == 4u);
    BOOST_TEST(st.binding_refused == 0u);
    for (std::uint32_t i = 0; i < 4; ++i) {
        BOOST_TEST(big.handle(i) == nullptr);
        BOOST_TEST(small.handle(i) != nullptr);
    }
    BOOST_TEST(counters.get(counter::records_out) == 40u);
    out.reset();
    env->unregister_thread();
}

BOOST_AUTO_TEST_CASE(a_shared_tx_queue_counts_each_frame_where_its_sink_belongs,
                     *boost::unit_test::disabled()) {
    // Sinks of one egress thread that send on one port share its transmit
    // queue; a dead-letter sink has counters of its own (its deliveries are
    // not records_out of the partitions). Whichever sink flushes the queue,
    // each frame must be counted in its own sink's counters; and a sink
    // destroyed with frames still queued drops them, counted, and gives
    // their blocks back.
    auto env = start_for_sinks(8191);
    const sink_config sc = port1_sink();
    counter_block part_counters, dead_counters, gone_counters;
    lane part_lane(4, 256), dead_lane(4, 256), gone_lane(4, 256);
    auto part = env->make_sink(sc, 0, 0);
    auto dead = env->make_sink(sc, dead_letter_partition, 0);
    auto gone = env->make_sink(sc, 1, 0);
    const auto submit = [](sink& out, lane& l, std::uint32_t records, counter_block& counters) {
        std::uint32_t index = 0;
        BOOST_REQUIRE(l.acquire(index));
        std::memset(l.data(index), 'r', 40 * records);
        BOOST_REQUIRE(out.submit(tx_block{l.taken_data(index), 40 * records, records, &l, index}, counters));
    };
    submit(*part, part_lane, 3, part_counters);
    submit(*part, part_lane, 4, part_counters);
    submit(*dead, dead_lane, 2, dead_counters);
    submit(*gone, gone_lane, 5, gone_counters);
    // The sink that never polled goes first: its frame is dropped and counted.
    gone.reset();
    BOOST_TEST(gone_counters.get(counter::drop_sink) == 5u);
    BOOST_TEST(gone_counters.get(counter::drop_tx) == 1u);
    for (std::uint32_t k = 0; k < 4; ++k) { // every block back in its lane
        std::uint32_t index = 0;
        BOOST_TEST(gone_lane.acquire(index));
    }
    // Only the dead-letter sink polls: it checks the drain deadline and
    // flushes everyone's frames.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (dead_counters.get(counter::records_out) + part_counters.get(counter::records_out) < 9 &&
           std::chrono::steady_clock::now() < give_up)
        dead->poll(dead_counters);
    BOOST_TEST(part_counters.get(counter::records_out) == 7u);
    BOOST_TEST(dead_counters.get(counter::records_out) == 2u);
    BOOST_TEST(part_counters.get(counter::drop_sink) == 0u);
    BOOST_TEST(dead_counters.get(counter::drop_sink) == 0u);
    part->close(part_counters);
    dead->close(dead_counters);
    part.reset();
    dead.reset();
    env->unregister_thread();
}

BOOST_AUTO_TEST_CASE(an_lcore_option_does_not_pin_the_threads_the_router_starts,
                     *boost::unit_test::disabled()) {
    // With "-l 0" in eal_args, rte_eal_init pins the calling thread to CPU
    // 0; the router's threads, started from it afterwards, would inherit
    // that, unpinned ones (-1) included. The environment gives the thread
    // its CPUs back.
    cpu_set_t before;
    BOOST_REQUIRE(sched_getaffinity(0, sizeof before, &before) == 0);
    if (CPU_COUNT(&before) < 2 || !CPU_ISSET(0, &before)) {
        std::printf("SKIP: needs CPU 0 and another CPU to tell a pinned thread from a free one\n");
        std::exit(77);
    }
    require_drivers({"net_null"});
    claim_eal();
    dpdk_config c;
    c.eal_args = no_huge_args();
    c.eal_args.insert(c.eal_args.end(), {"-l", "0"});
    c.ports.resize(1);
    c.ports[0].device = "net_null0";
    auto env = dpdk_environment::start(c, 1, {0});
    cpu_set_t after;
    BOOST_REQUIRE(sched_getaffinity(0, sizeof after, &after) == 0);
    BOOST_TEST(CPU_EQUAL(&before, &after),
               "the thread was left on " << CPU_COUNT(&after) << " CPU(s) of " << CPU_COUNT(&before));
    cpu_set_t child{};
    std::thread([&] { sched_getaffinity(0, sizeof child, &child); }).join();
    BOOST_TEST(CPU_EQUAL(&before, &child));
}

BOOST_AUTO_TEST_SUITE_END()
