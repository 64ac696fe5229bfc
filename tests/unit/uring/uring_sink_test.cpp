// io_uring sinks over loopback and a temporary file: blocks from a real lane
// leave byte for byte and in order, and every block is given back.

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iterator>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/allocation_counter.hpp"
#include "tests/unit/uring/uring_test_util.hpp"

using namespace shardgate;
using namespace uring_test;

namespace {

sink_config udp_sink_config(std::uint16_t port) {
    sink_config c;
    c.kind = sink_kind::udp;
    c.destination = {"127.0.0.1", port};
    c.uri = "udp://127.0.0.1:" + std::to_string(port);
    return c;
}

sink_config tcp_sink_config(std::uint16_t port) {
    sink_config c;
    c.kind = sink_kind::tcp;
    c.destination = {"127.0.0.1", port};
    c.uri = "tcp://127.0.0.1:" + std::to_string(port);
    return c;
}

/// Plays the dataplane core (fills and publishes lane blocks) and the egress
/// loop (takes blocks, offers them to the sink until it accepts).
struct feeder {
    uring_context& ctx;
    sink& out;
    lane blocks;
    counter_block counters;
    std::deque<block_ref> waiting; // taken from the lane, refused by the sink so far
    std::string expected;          // every byte published, in order
    std::uint64_t records = 0;

    feeder(uring_context& c, sink& s, std::uint32_t n, std::uint32_t bytes)
        : ctx(c), out(s), blocks(n, bytes) {}

    /// Publishes one block holding `payload` (false when the lane is full).
    bool publish(const std::string& payload, std::uint32_t recs = 1) {
        std::uint32_t index = 0;
        if (!blocks.acquire(index)) return false;
        BOOST_TEST_REQUIRE(payload.size() <= blocks.block_bytes());
        std::memcpy(blocks.data(index), payload.data(), payload.size());
        blocks.publish({index, static_cast<std::uint32_t>(payload.size()), recs});
        expected += payload;
        records += recs;
        return true;
    }
    /// One egress iteration; returns blocks the sink completed.
    std::size_t step() {
        ctx.poll();
        std::array<block_ref, 16> taken{};
        const std::size_t n = blocks.take(taken);
        waiting.insert(waiting.end(), taken.begin(), taken.begin() + static_cast<std::ptrdiff_t>(n));
        while (!waiting.empty()) {
            const block_ref& b = waiting.front();
            if (!out.submit({blocks.data(b.index), b.length, b.records, &blocks, b.index}, counters)) break;
            waiting.pop_front();
        }
        return out.poll(counters);
    }
    bool until(auto done, std::chrono::milliseconds limit = 5000ms) {
        return pump(
            ctx,
            [&] {
                step();
                return done();
            },
            limit);
    }
    bool drained() const {
        return waiting.empty() && blocks.published() == 0 && out.idle() && blocks.all_free();
    }
};

std::string payload(std::uint32_t i, std::size_t length) {
    std::string s(length, '\0');
    for (std::size_t k = 0; k < length; ++k) s[k] = static_cast<char>('0' + (i * 31 + k) % 75);
    return s;
}

std::string temp_path(const char* stem) {
    return "/tmp/shardgate-" + std::string(stem) + "-" + std::to_string(::getpid()) + ".bin";
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

BOOST_AUTO_TEST_SUITE(uring_sinks)

BOOST_AUTO_TEST_CASE(udp_sends_each_block_as_one_datagram_in_order) {
    std::uint16_t port = 0;
    auto rx = udp_receiver(port);
    auto ctx = make_uring_context(64);
    auto s = make_uring_sink(*ctx, udp_sink_config(port), 3);
    BOOST_TEST(s->name() == "sinks[3] (udp://127.0.0.1:" + std::to_string(port) + ")");
    feeder f(*ctx, *s, 8, 1472);
    std::vector<std::string> sent;
    for (std::uint32_t i = 0; i < 200; ++i) {
        sent.push_back(payload(i, 1 + (i * 97) % 1472));
        BOOST_TEST_REQUIRE(f.until([&] { return f.publish(sent.back(), 2); }));
    }
    BOOST_TEST_REQUIRE(f.until([&] { return f.drained(); }));
    std::vector<std::string> got;
    char buf[2048];
    for (;;) {
        const ssize_t k = ::recv(rx.fd, buf, sizeof buf, 0);
        if (k < 0) break;
        got.emplace_back(buf, static_cast<std::size_t>(k));
    }
    BOOST_TEST(got == sent, boost::test_tools::per_element());
    BOOST_TEST(f.counters.get(counter::records_out) == 400u);
    BOOST_TEST(f.counters.get(counter::bytes_out) == f.expected.size());
    BOOST_TEST(s->records_sent() == 400u);
    BOOST_TEST(s->records_dropped() == 0u);
}

BOOST_AUTO_TEST_CASE(udp_counts_blocks_lost_when_nobody_listens) {
    std::uint16_t port = 0;
    { auto gone = udp_receiver(port); } // a port with no socket behind it
    auto ctx = make_uring_context(64);
    auto s = make_uring_sink(*ctx, udp_sink_config(port), 0);
    feeder f(*ctx, *s, 4, 512);
    for (std::uint32_t i = 0; i < 20; ++i) { // one at a time: each send sees the last ICMP error
        BOOST_TEST_REQUIRE(f.publish(payload(i, 100), 5));
        BOOST_TEST_REQUIRE(f.until([&] { return f.drained(); }));
    }
    BOOST_TEST(s->records_sent() + s->records_dropped() == 100u);
    BOOST_TEST(s->records_dropped() >= 5u); // ECONNREFUSED
    BOOST_TEST(f.counters.get(counter::drop_sink) == s->records_dropped());
    BOOST_TEST(f.blocks.all_free());
}

BOOST_AUTO_TEST_CASE(tcp_streams_blocks_in_order) {
    std::uint16_t port = 0;
    auto listener = tcp_listener(port);
    auto ctx = make_uring_context(64);
    auto s = make_uring_sink(*ctx, tcp_sink_config(port), 1);
    feeder f(*ctx, *s, 8, 8192);
    fd_guard conn;
    BOOST_TEST_REQUIRE(f.until([&] {
        conn = fd_guard(::accept4(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        return conn.fd >= 0 && uring_status(*s).connected;
    }));
    std::string got;
    std::uint32_t i = 0;
    BOOST_TEST_REQUIRE(f.until(
        [&] {
            while (i < 400 && f.publish(payload(i, 1 + (i * 1013) % 8192), 3)) ++i;
            read_available(conn.fd, got);
            return i == 400 && f.drained() && got.size() == f.expected.size();
        },
        20000ms));
    BOOST_TEST(first_difference(got, f.expected) == std::string::npos);
    BOOST_TEST(f.counters.get(counter::records_out) == 1200u);
    BOOST_TEST(uring_status(*s).connects == 1u);
    counter_block c;
    s->close(c);
    std::string rest;
    BOOST_TEST_REQUIRE(pump(*ctx, [&] { return !read_available(conn.fd, rest); })); // EOF after close
    BOOST_TEST(rest.empty());
}

BOOST_AUTO_TEST_CASE(tcp_reconnects_after_the_listener_restarts_and_delivers_the_rest) {
    std::uint16_t port = 0;
    auto listener = tcp_listener(port);
    auto ctx = make_uring_context(64);
    auto s = make_uring_sink(*ctx, tcp_sink_config(port), 2);
    feeder f(*ctx, *s, 8, 4096);
    fd_guard conn;
    auto accept_one = [&] {
        conn = fd_guard(::accept4(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        return conn.fd >= 0;
    };
    BOOST_TEST_REQUIRE(f.until([&] { return accept_one() && uring_status(*s).connected; }));
    std::string first;
    for (std::uint32_t i = 0; i < 10; ++i)
        BOOST_TEST_REQUIRE(f.until([&] { return f.publish(payload(i, 3000)); }));
    BOOST_TEST_REQUIRE(f.until([&] {
        read_available(conn.fd, first);
        return f.drained() && first.size() == f.expected.size();
    }));
    BOOST_TEST(first_difference(first, f.expected) == std::string::npos);

    // The receiver goes away: its connection and its listener.
    conn.reset();
    listener.reset();
    BOOST_TEST_REQUIRE(f.until([&] { return !uring_status(*s).connected; }));
    // While it is away, blocks wait in the lane: submit() refuses them.
    const std::size_t before = f.expected.size();
    for (std::uint32_t i = 10; i < 16; ++i) BOOST_TEST_REQUIRE(f.publish(payload(i, 3000)));
    BOOST_TEST_REQUIRE(f.until([&] { return f.waiting.size() == 6; }));
    for (int k = 0; k < 20; ++k) f.step();
    BOOST_TEST(f.waiting.size() == 6u); // backpressure, not loss
    BOOST_TEST(s->records_dropped() == 0u);

    // It comes back on the same port; the sink reconnects (backoff) and sends the rest.
    listener = tcp_listener(port);
    BOOST_TEST_REQUIRE(f.until([&] { return accept_one(); }, 10000ms));
    std::string second;
    BOOST_TEST_REQUIRE(f.until([&] {
        read_available(conn.fd, second);
        return f.drained() && second.size() == f.expected.size() - before;
    }));
    BOOST_TEST(first_difference(second, f.expected.substr(before)) == std::string::npos);
    BOOST_TEST(uring_status(*s).connects == 2u);
    BOOST_TEST(uring_status(*s).resent_bytes == 0u);
    BOOST_TEST(s->records_sent() == 16u);
    BOOST_TEST(s->records_dropped() == 0u);
}

BOOST_AUTO_TEST_CASE(tcp_close_counts_what_could_not_be_sent) {
    std::uint16_t port = 0;
    { auto gone = tcp_listener(port); } // nobody listens: the sink never connects
    auto ctx = make_uring_context(64);
    auto s = make_uring_sink(*ctx, tcp_sink_config(port), 0);
    feeder f(*ctx, *s, 4, 256);
    BOOST_TEST(f.publish(payload(0, 100), 4));
    for (int k = 0; k < 10; ++k) f.step();
    BOOST_TEST(!uring_status(*s).connected);
    BOOST_TEST(f.waiting.size() == 1u); // never accepted by the sink, so still the egress loop's
    BOOST_TEST(s->idle());
    s->close(f.counters);
    BOOST_TEST(s->records_dropped() == 0u);
}

BOOST_AUTO_TEST_CASE(file_truncates_then_appends_blocks_in_order) {
    const std::string path = temp_path("file-sink");
    {
        std::ofstream old(path, std::ios::binary);
        old << "stale content from an earlier run";
    }
    sink_config cfg;
    cfg.kind = sink_kind::file;
    cfg.path = path;
    auto ctx = make_uring_context(64);
    auto s = make_uring_sink(*ctx, cfg, 5);
    BOOST_TEST(s->name() == "sinks[5] (file://" + path + ")");
    feeder f(*ctx, *s, 8, 65536);
    std::uint32_t i = 0;
    BOOST_TEST_REQUIRE(f.until(
        [&] {
            while (i < 300 && f.publish(payload(i, 1 + (i * 7919) % 65536), 2)) ++i;
            return i == 300 && f.drained();
        },
        20000ms));
    s->close(f.counters);
    BOOST_TEST(first_difference(read_file(path), f.expected) == std::string::npos);
    BOOST_TEST(f.counters.get(counter::records_out) == 600u);
    BOOST_TEST(s->records_dropped() == 0u);
    std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(file_in_a_missing_directory_is_a_precise_error) {
    sink_config cfg;
    cfg.kind = sink_kind::file;
    cfg.path = "/nonexistent-shardgate-dir/out.bin";
    cfg.uri = "file:///nonexistent-shardgate-dir/out.bin";
    auto ctx = make_uring_context(64);
    try {
        (void)make_uring_sink(*ctx, cfg, 3);
        BOOST_FAIL("opened a file in a missing directory");
    } catch (const std::runtime_error& e) {
        BOOST_TEST(std::string(e.what()) == "sinks[3] (file:///nonexistent-shardgate-dir/out.bin): open "
                                            "/nonexistent-shardgate-dir/out.bin: No such file or directory");
    }
    sink_config d;
    d.kind = sink_kind::dpdk;
    BOOST_CHECK_THROW((void)make_uring_sink(*ctx, d, 0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(null_counts_and_gives_back_at_once) {
    sink_config cfg;
    cfg.kind = sink_kind::null;
    auto ctx = make_uring_context(64);
    auto s = make_uring_sink(*ctx, cfg, 0);
    feeder f(*ctx, *s, 4, 128);
    for (std::uint32_t i = 0; i < 4; ++i) BOOST_TEST_REQUIRE(f.publish(payload(i, 100), 10));
    BOOST_TEST(!f.blocks.all_free());
    f.step(); // one iteration: taken, submitted, given back
    BOOST_TEST(f.blocks.all_free());
    BOOST_TEST(s->idle());
    BOOST_TEST(s->records_sent() == 40u);
    BOOST_TEST(f.counters.get(counter::bytes_out) == 400u);
}

BOOST_AUTO_TEST_SUITE_END()

// --- no allocation on the hot path ---------------------------------------------
// tests/support/allocation_counter.cpp counts every allocation of this program.

BOOST_AUTO_TEST_SUITE(uring_hot_path)

BOOST_AUTO_TEST_CASE(receiving_and_sending_allocate_nothing) {
    auto ctx = make_uring_context(256);
    source_config uc;
    uc.name = "sources[0]";
    uc.kind = source_kind::udp;
    uc.bind = {"127.0.0.1", 0};
    uc.buffers = 64;
    uc.buffer_bytes = 2048;
    source_config tc = uc;
    tc.kind = source_kind::tcp;
    record_format f;
    f.record_size = 40;
    auto udp = make_uring_source(*ctx, uc, f);
    auto tcp = make_uring_source(*ctx, tc, f);
    std::uint16_t rx_port = 0, sink_port = 0;
    auto rx = udp_receiver(rx_port);
    auto listener = tcp_listener(sink_port);
    auto usink = make_uring_sink(*ctx, udp_sink_config(rx_port), 0);
    auto tsink = make_uring_sink(*ctx, tcp_sink_config(sink_port), 1);
    auto utx = udp_sender(uring_bound_port(*udp));
    auto ttx = tcp_client(uring_bound_port(*tcp), true);
    fd_guard peer;
    counter_block counters;
    BOOST_TEST_REQUIRE(pump(*ctx, [&] {
        (void)tsink->poll(counters);
        if (peer.fd < 0)
            peer = fd_guard(::accept4(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        return peer.fd >= 0 && uring_status(*tsink).connected;
    }));
    lane blocks(8, 4000);
    for (std::uint32_t i = 0; i < 8; ++i) std::memset(blocks.data(i), 'b', 4000);
    const std::string record = fixed_record(40, 1, 1);
    std::array<char, 1400> datagram{};
    std::array<char, 65536> sink_in{};
    std::array<rx_chunk, 32> chunks{};
    std::uint64_t udp_in = 0, tcp_in = 0, sent = 0;

    auto round = [&] {
        (void)::send(utx.fd, datagram.data(), datagram.size(), 0);
        (void)::send(ttx.fd, record.data(), 17, MSG_NOSIGNAL); // records split across reads
        (void)::send(ttx.fd, record.data() + 17, record.size() - 17, MSG_NOSIGNAL);
        ctx->poll();
        std::size_t n = udp->poll(chunks, counters);
        udp_in += n;
        udp->release(std::span<const rx_chunk>(chunks.data(), n));
        n = tcp->poll(chunks, counters);
        for (std::size_t i = 0; i < n; ++i) tcp_in += chunks[i].length;
        tcp->release(std::span<const rx_chunk>(chunks.data(), n));
        std::uint32_t idx = 0;
        if (blocks.acquire(idx)) {
            const tx_block b{blocks.data(idx), 4000, 100, &blocks, idx};
            sink& s = (sent & 1) ? *usink : *tsink;
            if (s.submit(b, counters))
                ++sent;
            else
                blocks.give_back(idx);
        }
        (void)usink->poll(counters);
        (void)tsink->poll(counters);
        (void)::recv(peer.fd, sink_in.data(), sink_in.size(), MSG_DONTWAIT);
        (void)::recv(rx.fd, sink_in.data(), sink_in.size(), MSG_DONTWAIT);
        ctx->wait(100);
    };
    for (int i = 0; i < 200; ++i) round(); // warm up: every path taken once
    const std::uint64_t before = test::allocations_total();
    BOOST_TEST_REQUIRE(before > 0u); // the hook is live: setup allocated
    for (int i = 0; i < 2000; ++i) round();
    const std::uint64_t during = test::allocations_total() - before;
    BOOST_TEST(during == 0u);
    BOOST_TEST(udp_in > 1000u); // the loop did real work
    BOOST_TEST(tcp_in > 1000u * 40u);
    BOOST_TEST(sent > 1000u);
    usink->close(counters);
    tsink->close(counters);
}

BOOST_AUTO_TEST_SUITE_END()
