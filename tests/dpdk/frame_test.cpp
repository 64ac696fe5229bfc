// The DPDK ports' frame parser and frame template on crafted frames (no EAL),
// and the environment's configuration checks that run before the EAL starts.

#include <boost/test/unit_test.hpp>

#include <array>
#include <cstring>
#include <deque>
#include <map>
#include <random>

#include "dataplane/dpdk/scratch.hpp"
#include "tests/dpdk/support.hpp"

using namespace shardgate;
using namespace shardgate::test;

namespace {

const std::vector<std::byte> payload = bytes_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ");

frame_verdict parse(const std::vector<std::byte>& f, std::uint16_t port = 0) {
    return parse_frame(std::span(f.data(), f.size()), port).verdict;
}

void expect_payload(const std::vector<std::byte>& f, std::uint32_t offset) {
    const parsed_frame p = parse_frame(std::span(f.data(), f.size()));
    BOOST_REQUIRE_EQUAL(to_string(p.verdict), "udp");
    BOOST_TEST(p.payload_offset == offset);
    BOOST_REQUIRE_EQUAL(p.payload_length, payload.size());
    BOOST_TEST(std::memcmp(f.data() + p.payload_offset, payload.data(), payload.size()) == 0);
}

std::vector<std::byte> ext_header(std::size_t bytes) {
    std::vector<std::byte> e(bytes, std::byte{0});
    e[1] = static_cast<std::byte>(bytes / 8 - 1); // length in 8-byte units, not counting the first
    return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dpdk_frames)

BOOST_AUTO_TEST_CASE(ipv4_udp_payload_is_found_with_and_without_vlan_tags) {
    expect_payload(ipv4_udp_frame(payload), 42);
    expect_payload(ipv4_udp_frame(payload, {.vlan_tags = 1}), 46);
    expect_payload(ipv4_udp_frame(payload, {.vlan_tags = 2}), 50);
}

BOOST_AUTO_TEST_CASE(ipv4_options_are_skipped) {
    ipv4_udp_spec s;
    s.version_ihl = 0x47; // 7 words: 8 bytes of options
    s.options = std::vector<std::byte>(8, std::byte{1});
    expect_payload(ipv4_udp_frame(payload, s), 50);
}

BOOST_AUTO_TEST_CASE(ethernet_padding_is_not_payload) {
    const auto small = bytes_of("ab");
    const auto f = ipv4_udp_frame(small, {.padding = 16});
    const parsed_frame p = parse_frame(std::span(f.data(), f.size()));
    BOOST_REQUIRE(p.verdict == frame_verdict::udp);
    BOOST_TEST(p.payload_length == 2u);
}

BOOST_AUTO_TEST_CASE(ipv6_udp_payload_is_found_past_extension_headers) {
    expect_payload(ipv6_udp_frame(payload), 62);
    // hop-by-hop (8 bytes), then destination options (16 bytes)
    expect_payload(ipv6_udp_frame(payload, {{0, ext_header(8)}, {60, ext_header(16)}}), 86);
    const auto f = ipv6_udp_frame(payload);
    BOOST_TEST(parse_frame(std::span(f.data(), f.size())).ipv6);
}

BOOST_AUTO_TEST_CASE(other_protocols_are_not_ours) {
    std::vector<std::byte> arp;
    put_be(arp, 0xffffffffffff, 6);
    put_be(arp, 0x020000000001, 6);
    put_be(arp, 0x0806, 2);
    arp.resize(60);
    BOOST_TEST(to_string(parse(arp)) == "not_ip");
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.protocol = 6}))) == "not_udp"); // TCP
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.protocol = 1}))) == "not_udp"); // ICMP
    BOOST_TEST(to_string(parse(ipv6_udp_frame(payload, {}, 58))) == "not_udp");          // ICMPv6
    BOOST_TEST(!is_malformed(frame_verdict::not_ip));
    BOOST_TEST(!is_malformed(frame_verdict::not_udp));
}

BOOST_AUTO_TEST_CASE(fragments_are_skipped_not_reassembled) {
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.flags_fragment = 0x2000}))) == "fragment"); // MF
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.flags_fragment = 0x0010}))) == "fragment"); // offset
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.flags_fragment = 0x4000}))) == "udp"); // DF only
    // IPv6 fragment header: offset (13 bits) and M in its bytes 2..3.
    const auto fragment = [](std::uint16_t offset_m) {
        auto e = ext_header(8);
        e[2] = static_cast<std::byte>(offset_m >> 8);
        e[3] = static_cast<std::byte>(offset_m);
        return e;
    };
    BOOST_TEST(to_string(parse(ipv6_udp_frame(payload, {{44, fragment(0x0001)}}))) == "fragment"); // M
    BOOST_TEST(to_string(parse(ipv6_udp_frame(payload, {{44, fragment(0x0008)}}))) == "fragment"); // offset
    BOOST_TEST(!is_malformed(frame_verdict::fragment));
}

BOOST_AUTO_TEST_CASE(ipv6_atomic_fragments_are_whole_datagrams) {
    // Offset 0, M clear (RFC 6946): the payload follows the fragment header,
    // also after other extension headers; the two reserved bits are ignored.
    expect_payload(ipv6_udp_frame(payload, {{44, ext_header(8)}}), 70);
    expect_payload(ipv6_udp_frame(payload, {{0, ext_header(8)}, {44, ext_header(8)}, {60, ext_header(8)}}),
                   86);
    auto reserved = ext_header(8);
    reserved[3] = std::byte{0x06};
    expect_payload(ipv6_udp_frame(payload, {{44, reserved}}), 70);
    // A fragment header cut short by the payload length is malformed.
    auto f = ipv6_udp_frame(payload, {{44, ext_header(8)}});
    f[14 + 4] = std::byte{0};
    f[14 + 5] = std::byte{4}; // payload length 4: half a fragment header
    BOOST_TEST(to_string(parse(f)) == "bad_ip_length");
}

BOOST_AUTO_TEST_CASE(destination_port_filter) {
    const auto f = ipv4_udp_frame(payload, {.dst_port = 7001});
    BOOST_TEST(to_string(parse(f, 7001)) == "udp");
    BOOST_TEST(to_string(parse(f, 7000)) == "wrong_port");
    BOOST_TEST(to_string(parse(f, 0)) == "udp");
    BOOST_TEST(parse_frame(std::span(f.data(), f.size()), 7000).dst_port == 7001);
}

BOOST_AUTO_TEST_CASE(broken_headers_are_malformed_by_reason) {
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.version_ihl = 0x44}))) == "bad_ip_header"); // ihl 4
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.version_ihl = 0x65}))) ==
               "bad_ip_header"); // version 6
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.total_length_delta = 1}))) == "bad_ip_length");
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.total_length_delta = -60}))) == "bad_ip_length");
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.break_checksum = true}))) == "bad_ip_checksum");
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.udp_length_delta = 1}))) == "bad_udp_length");
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.udp_length_delta = -50}))) == "bad_udp_length");
    // An IP packet too short for a UDP header (total length covers 4 bytes of it).
    BOOST_TEST(to_string(parse(ipv4_udp_frame(payload, {.total_length_delta = -50}))) == "bad_udp_length");
    for (auto v :
         {frame_verdict::short_ethernet, frame_verdict::bad_ip_header, frame_verdict::bad_ip_length,
          frame_verdict::bad_ip_checksum, frame_verdict::bad_udp_length, frame_verdict::bad_l4_checksum})
        BOOST_TEST(is_malformed(v));
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_frame_is_rejected_and_read_in_bounds) {
    // Each prefix is copied into a buffer of exactly its size, so a read past
    // the end would be a heap overflow (caught under sanitizers).
    for (const auto& full :
         {ipv4_udp_frame(payload, {.vlan_tags = 1}), ipv6_udp_frame(payload, {{0, ext_header(8)}})}) {
        for (std::size_t n = 0; n < full.size(); ++n) {
            const std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
            const frame_verdict v = parse(cut);
            BOOST_TEST_CONTEXT("prefix of " << n << " bytes: " << to_string(v)) {
                BOOST_TEST(is_malformed(v));
            }
        }
        BOOST_TEST(to_string(parse(full)) == "udp");
    }
    BOOST_TEST(to_string(parse(std::vector<std::byte>(13))) == "short_ethernet");
}

BOOST_AUTO_TEST_CASE(the_nics_checksum_verdicts_are_trusted) {
    const auto bad = ipv4_udp_frame(payload, {.break_checksum = true});
    const std::span<const std::byte> b(bad.data(), bad.size());
    BOOST_TEST(to_string(parse_frame(b, 0, nic_checksum::good).verdict) ==
               "udp"); // NIC checked: no software sum
    const auto good = ipv4_udp_frame(payload);
    const std::span<const std::byte> g(good.data(), good.size());
    BOOST_TEST(to_string(parse_frame(g, 0, nic_checksum::bad).verdict) == "bad_ip_checksum");
    BOOST_TEST(to_string(parse_frame(g, 0, nic_checksum::good, nic_checksum::bad).verdict) ==
               "bad_l4_checksum");
}

BOOST_AUTO_TEST_CASE(template_frames_parse_back_with_valid_checksums) {
    const udp_frame_template t(parse_mac("02:00:00:00:00:aa", "src"), parse_mac("02:00:00:00:00:bb", "dst"),
                               parse_ipv4("10.0.0.1", "src"), parse_ipv4("10.0.1.7", "dst"), 5000, 9007);
    std::vector<std::byte> f(udp_frame_header_bytes + payload.size());
    t.write(f.data(), static_cast<std::uint32_t>(payload.size()), 77, true);
    std::memcpy(f.data() + udp_frame_header_bytes, payload.data(), payload.size());
    // The hand-built reference frame has the same IPv4 header but for the
    // addresses, id and flags; here check the fields one by one.
    BOOST_TEST(std::to_integer<int>(f[0]) == 0x02);
    BOOST_TEST(std::to_integer<int>(f[5]) == 0xbb); // destination MAC first
    BOOST_TEST(std::to_integer<int>(f[11]) == 0xaa);
    BOOST_TEST(std::to_integer<int>(f[14 + 4]) == 0); // id 77, big-endian
    BOOST_TEST(std::to_integer<int>(f[14 + 5]) == 77);
    BOOST_TEST(std::to_integer<int>(f[14 + 19]) == 7); // 10.0.1.7
    BOOST_TEST(internet_checksum(std::span<const std::byte>(f.data() + 14, 20)) ==
               0); // header sums to 0xffff
    expect_payload(f, 42);
    BOOST_TEST(parse_frame(std::span(f.data(), f.size())).dst_port == 9007);

    // Without the software checksum the field is left 0 for the NIC.
    t.write(f.data(), static_cast<std::uint32_t>(payload.size()), 77, false);
    BOOST_TEST(std::to_integer<int>(f[14 + 10]) == 0);
    BOOST_TEST(std::to_integer<int>(f[14 + 11]) == 0);
}

BOOST_AUTO_TEST_CASE(internet_checksum_matches_rfc1071_word_by_word) {
    // The reference: big-endian 16-bit words one at a time, a last odd byte
    // padded with a zero byte after it (RFC 1071 section 4.1).
    const auto reference = [](const std::vector<std::byte>& b, std::uint32_t seed) {
        std::uint64_t s = seed;
        for (std::size_t i = 0; i + 1 < b.size(); i += 2)
            s += (std::to_integer<std::uint32_t>(b[i]) << 8) | std::to_integer<std::uint32_t>(b[i + 1]);
        if (b.size() & 1) s += std::to_integer<std::uint32_t>(b.back()) << 8;
        while (s >> 16) s = (s & 0xffff) + (s >> 16);
        return static_cast<std::uint16_t>(~s);
    };
    std::uint64_t x = 88172645463325252ull; // xorshift: bytes that carry often
    for (std::size_t n = 0; n <= 67; ++n) {
        for (int round = 0; round < 20; ++round) {
            std::vector<std::byte> b(n);
            for (auto& c : b) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                c = static_cast<std::byte>(round < 2 ? 0xff : x);
            }
            const std::uint32_t seed = round % 3 == 0 ? 0 : static_cast<std::uint32_t>(x >> 40);
            BOOST_TEST(internet_checksum(std::span<const std::byte>(b), seed) == reference(b, seed),
                       "n " << n << " round " << round);
        }
    }
}

BOOST_AUTO_TEST_CASE(template_checksums_hold_for_every_id_and_many_lengths) {
    // The checksum comes from the template's precomputed sum plus length and
    // id: check it against a sum of the bytes written, across ids that carry
    // (0xffff included) and lengths up to the largest payload.
    const udp_frame_template t(parse_mac("02:00:00:00:00:aa", "src"), parse_mac("02:00:00:00:00:bb", "dst"),
                               parse_ipv4("192.168.255.254", "src"), parse_ipv4("10.255.1.7", "dst"), 65535,
                               9007);
    std::array<std::byte, udp_frame_header_bytes> h{};
    std::size_t checked = 0;
    for (std::uint32_t id = 0; id <= 0xffff; id += 257) {
        for (const std::uint32_t len : {0u, 1u, 18u, 1440u, 8972u, 65000u, max_udp_payload}) {
            t.write(h.data(), len, static_cast<std::uint16_t>(id), true);
            BOOST_REQUIRE_MESSAGE(internet_checksum(std::span<const std::byte>(h.data() + 14, 20)) == 0,
                                  "id " << id << " payload " << len);
            ++checked;
        }
        t.write(h.data(), 1440, 0xffff, true);
        BOOST_REQUIRE(internet_checksum(std::span<const std::byte>(h.data() + 14, 20)) == 0);
    }
    BOOST_TEST(checked > 1700u);
}

BOOST_AUTO_TEST_CASE(pseudo_header_sum_matches_a_direct_computation) {
    const udp_frame_template t({}, {}, 0x0a000001, 0x0a000207, 5000, 9000);
    std::vector<std::byte> ph; // src, dst, zero, protocol, UDP length
    put_be(ph, 0x0a000001, 4);
    put_be(ph, 0x0a000207, 4);
    put_be(ph, 17, 2);
    put_be(ph, 8 + 1000, 2);
    const std::uint16_t direct =
        static_cast<std::uint16_t>(~internet_checksum(std::span<const std::byte>(ph)));
    BOOST_TEST(t.pseudo_header_sum(1000) == direct);
}

BOOST_AUTO_TEST_CASE(addresses_are_parsed_or_refused_with_the_text) {
    BOOST_TEST(to_string(parse_mac("02:AB:cd:00:00:09", "x")) == "02:ab:cd:00:00:09");
    BOOST_TEST(parse_ipv4("10.1.2.3", "x") == 0x0a010203u);
    try {
        (void)parse_mac("02:00:00:00:00", "sinks[3]: destination MAC");
        BOOST_FAIL("a five-byte MAC was accepted");
    } catch (const std::invalid_argument& e) {
        BOOST_TEST(
            std::string(e.what()) ==
            "sinks[3]: destination MAC: expected a MAC address aa:bb:cc:dd:ee:ff, found \"02:00:00:00:00\"");
    }
    try {
        (void)parse_ipv4("10.0.0.300", "dpdk.ports[0].ip");
        BOOST_FAIL("10.0.0.300 was accepted");
    } catch (const std::invalid_argument& e) {
        BOOST_TEST(std::string(e.what()) ==
                   "dpdk.ports[0].ip: expected a dotted IPv4 address (10.0.0.1), found \"10.0.0.300\"");
    }
}

BOOST_AUTO_TEST_CASE(scratch_is_reused_while_allocations_stay_out) {
    // A relay keeps chunks out all the time: 40 allocations of 1 KiB out at
    // any moment, the oldest given back as each new one is taken. 100 000
    // allocations go through 64 KiB; none may fail.
    scratch_ring s(64 * 1024, 128);
    std::deque<std::uint32_t> out;
    std::size_t failed = 0;
    for (int i = 0; i < 100000; ++i) {
        std::uint32_t id = 0;
        if (s.take(1000 - 64, id) == nullptr)
            ++failed; // 1000 - rx_padding: 1024 with alignment
        else
            out.push_back(id);
        if (out.size() > 40) {
            s.give_back(out.front());
            out.pop_front();
        }
    }
    BOOST_TEST(failed == 0u);
    while (!out.empty()) {
        s.give_back(out.front());
        out.pop_front();
    }
    BOOST_TEST(s.empty());
}

BOOST_AUTO_TEST_CASE(scratch_ids_are_not_reused_while_their_allocation_is_out) {
    scratch_ring s(64 * 1024, 8);
    std::array<std::uint32_t, 8> ids{};
    for (auto& id : ids) BOOST_REQUIRE(s.take(1, id) != nullptr);
    std::uint32_t extra = 0;
    BOOST_TEST(s.take(1, extra) == nullptr); // 8 out: no id left, though bytes are
    s.give_back(ids[5]);                     // a newer one back: the oldest still holds its id
    BOOST_TEST(s.take(1, extra) == nullptr);
    s.give_back(ids[0]);
    BOOST_TEST(s.take(1, extra) != nullptr);
    BOOST_TEST(extra == ids[0]);
    BOOST_TEST(s.take(1, extra) == nullptr);
}

BOOST_AUTO_TEST_CASE(scratch_never_hands_out_bytes_in_use) {
    // Random sizes, given back in random order: live allocations (with their
    // rx_padding) never overlap and stay inside the memory; space held by an
    // allocation given back early is reused only once all older ones are back.
    std::mt19937 rng(5);
    constexpr std::size_t bytes = 32 * 1024;
    scratch_ring s(bytes, 64);
    std::map<std::uint32_t, std::pair<const std::byte*, std::size_t>> live; // id -> [p, p + n + padding)
    std::size_t taken = 0, refused = 0;
    for (int i = 0; i < 200000; ++i) {
        if (live.empty() || rng() % 2) {
            const std::size_t n = 1 + rng() % 3000;
            std::uint32_t id = 0;
            std::byte* p = s.take(n, id);
            if (!p) {
                ++refused;
                continue;
            }
            ++taken;
            BOOST_REQUIRE(id < 64u);
            BOOST_REQUIRE(live.count(id) == 0u);
            const std::size_t len = n + rx_padding;
            // Inside the memory, padding included, on a cache line; and
            // writable (a sanitizer build catches an overrun here).
            BOOST_REQUIRE(p >= s.base());
            BOOST_REQUIRE(p + len <= s.base() + s.bytes());
            BOOST_REQUIRE(reinterpret_cast<std::uintptr_t>(p) % 64 == 0u);
            std::memset(p, 0xab, len);
            for (const auto& [other, r] : live) BOOST_REQUIRE(p + len <= r.first || r.first + r.second <= p);
            live[id] = {p, len};
        } else {
            auto it = live.begin();
            std::advance(it, rng() % live.size());
            s.give_back(it->first);
            live.erase(it);
        }
    }
    BOOST_TEST(taken > 50000u);
    BOOST_TEST(refused > 0u); // it did fill up now and then
    for (const auto& [id, r] : live) s.give_back(id);
    BOOST_TEST(s.empty());
    std::uint32_t id = 0;
    BOOST_TEST(s.take(bytes - rx_padding, id) != nullptr); // all of it, once all is back
}

BOOST_AUTO_TEST_SUITE_END()

// Configuration mistakes refused before the EAL starts (so they can share a
// process with the frame tests).
BOOST_AUTO_TEST_SUITE(dpdk_config_checks)

namespace {
std::string start_error(const dpdk_config& c, std::size_t egress = 1) {
    try {
        auto env = dpdk_environment::start(c, egress);
        return "started";
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
}
dpdk_config one_port() {
    dpdk_config c;
    c.eal_args = no_huge_args();
    c.ports.push_back({});
    c.ports[0].device = "net_null0";
    return c;
}
} // namespace

BOOST_AUTO_TEST_CASE(mbufs_held_count_nic_descriptors_and_what_sources_keep_out) {
    dpdk_port_config nic;
    nic.device = "0000:03:00.0";
    nic.rx_queues = 3;
    nic.tx_queues = 2;
    nic.rx_descriptors = 1024;
    nic.tx_descriptors = 512;
    // Descriptors, plus 64 chunks per polled rx queue a core holds, or 1024 a
    // relay holds, plus 64 buffered frames and 32 stashed mbufs per tx queue.
    constexpr unsigned tx = 2 * (64 + 32);
    BOOST_TEST(dpdk_mbufs_per_tx_queue() == 96u);
    BOOST_TEST(dpdk_mbufs_held(nic, 3, false).total() == 3u * 1024 + 2u * 512 + 3u * 64 + tx);
    BOOST_TEST(dpdk_mbufs_held(nic, 3, true).total() == 3u * 1024 + 2u * 512 + 3u * 1024 + tx);
    BOOST_TEST(dpdk_mbufs_held(nic, 1, true).total() == 3u * 1024 + 2u * 512 + 1u * 1024 + tx);
    BOOST_TEST(dpdk_mbufs_held(nic, 9, true).total() ==
               3u * 1024 + 2u * 512 + 3u * 1024 + tx); // at most rx_queues
    dpdk_port_config vdev = nic;
    vdev.device = "net_pcap0,rx_pcap=in.pcap"; // no descriptors of its own
    BOOST_TEST(dpdk_mbufs_held(vdev, 3, false).total() == 3u * 64 + tx);
    BOOST_TEST(dpdk_mbufs_held(vdev, 3, true).total() == 3u * 1024 + tx);
    BOOST_TEST(dpdk_mbufs_held(vdev, 0, true).total() == tx); // a transmit-only port: its tx buffers
    BOOST_TEST(dpdk_mbufs_held(nic, 1, true).descriptors == 3u * 1024 + 2u * 512);
    BOOST_TEST(dpdk_mbufs_held(nic, 1, true).sources == 1024u);
    BOOST_TEST(dpdk_mbufs_held(nic, 1, true).tx_buffers == tx);
    BOOST_TEST(dpdk_mbufs_held(nic, 1, true).in_flight == 0u);
    // net_ring keeps what is sent in a ring of 1023 per tx queue until it is received.
    dpdk_port_config ring = nic;
    ring.device = "net_ring0";
    BOOST_TEST(dpdk_mbufs_held(ring, 3, false).in_flight == 2u * 1023);
    BOOST_TEST(dpdk_mbufs_held(ring, 3, false).total() == 3u * 64 + tx + 2u * 1023);
    ring.device = "eth_ring0,nodeaction=r0:0:CREATE"; // the legacy name, with arguments
    BOOST_TEST(dpdk_mbufs_held(ring, 3, false).in_flight == 2u * 1023);
}

BOOST_AUTO_TEST_CASE(pool_sum_over_the_ports_of_one_socket) {
    dpdk_config c;
    c.mbuf_cache = 256;
    c.ports.resize(2);
    c.ports[0].device = "net_ring0";
    c.ports[0].rx_queues = c.ports[0].tx_queues = 2;
    c.ports[1].device = "net_null0";
    // Port 0: one rx queue polled (64), 2 tx queues (192 buffered, 2046 in
    // its rings); port 1: none polled, 96 buffered; caches: 1.5 x 256 for 3
    // egress threads and the one polling core.
    const dpdk_pool_need n = dpdk_pool_need_of(c, {0, 1}, 3, {1, 0});
    BOOST_TEST(n.threads == 4u);
    BOOST_TEST(n.held.in_flight == 2u * 1023);
    BOOST_TEST(n.total() == 64u + 3u * 96 + 2u * 1023 + 4u * 384);
    c.mempool_mbufs = static_cast<std::uint32_t>(n.total());
    const std::string e = dpdk_pool_shortfall(c, "the ports on NUMA socket 1", n);
    const auto has = [&](std::string_view part) { return e.find(part) != std::string::npos; };
    BOOST_TEST(
        e.starts_with("dpdk.mempool_mbufs (3934) must exceed what the ports on NUMA socket 1 can hold"), e);
    BOOST_TEST(has("+ 2046 in net_ring's rings"), e);
    BOOST_TEST(has("for each of 4 threads) = 3934"), e);
    BOOST_TEST(has("set dpdk.mempool_mbufs to at least 3935, or lower dpdk.mbuf_cache"), e);
    BOOST_TEST(!has("rx_on_egress off"), e); // it is not on
    c.mbuf_cache = 0;                        // then no advice to lower it
    c.mempool_mbufs = 1000;
    const std::string no_cache = dpdk_pool_shortfall(c, "p", dpdk_pool_need_of(c, {0, 1}, 3, {1, 0}));
    BOOST_TEST(no_cache.find("or lower dpdk.mbuf_cache") == std::string::npos, no_cache);
    BOOST_TEST(!no_cache.empty());
    c.mempool_mbufs = static_cast<std::uint32_t>(n.total() + 1);
    c.mbuf_cache = 256;
    BOOST_TEST(dpdk_pool_shortfall(c, "p", n).empty());
    // Only the ports named: port 1 alone, on a socket of its own.
    BOOST_TEST(dpdk_pool_need_of(c, {1}, 3, {1, 0}).total() == 96u + 3u * 384);
    // net_ring's rings fill, and tx queues buffer, only through the tx queues
    // egress threads send on: queue 0 alone with one egress thread.
    BOOST_TEST(dpdk_pool_need_of(c, {0}, 1, {1, 0}).held.in_flight == 1023u);
    BOOST_TEST(dpdk_pool_need_of(c, {0}, 1, {1, 0}).held.tx_buffers == 96u);
}

BOOST_AUTO_TEST_CASE(mbufs_in_caches_are_one_and_a_half_caches_per_thread) {
    BOOST_TEST(dpdk_mbufs_in_caches(256, 3) == 3u * 384);
    BOOST_TEST(dpdk_mbufs_in_caches(255, 2) == 2u * 383); // 382.5 rounds up
    BOOST_TEST(dpdk_mbufs_in_caches(0, 5) == 0u);
}

BOOST_AUTO_TEST_CASE(drivers_that_copy_frames_in_on_the_polling_thread) {
    for (const char* d : {"net_pcap", "net_af_packet", "net_tap"})
        BOOST_TEST(dpdk_driver_copies_on_receive(d), d);
    for (const char* d : {"net_ring", "net_memif", "net_null", "net_ice", "net_mlx5", "", "net_pcap0"})
        BOOST_TEST(!dpdk_driver_copies_on_receive(d), d);
}

BOOST_AUTO_TEST_CASE(no_ports) {
    dpdk_config c;
    BOOST_TEST(start_error(c) == "dpdk: no [[dpdk.ports]] declared; nothing to start");
}

BOOST_AUTO_TEST_CASE(secondary_process_refused) {
    dpdk_config c = one_port();
    c.eal_args.push_back("--proc-type=secondary");
    BOOST_TEST(start_error(c) == "dpdk.eal_args: shardgate runs as the primary DPDK process; remove "
                                 "\"--proc-type=secondary\"");
}

BOOST_AUTO_TEST_CASE(same_device_twice) {
    dpdk_config c = one_port();
    c.ports.push_back(c.ports[0]);
    c.ports[1].device = "net_null0,size=128";
    BOOST_TEST(start_error(c) ==
               "dpdk.ports[1].device names the same device as dpdk.ports[0]: \"net_null0,size=128\"");
}

BOOST_AUTO_TEST_CASE(cache_larger_than_dpdk_allows) {
    dpdk_config c = one_port();
    c.mbuf_cache = 1024;
    BOOST_TEST(start_error(c) ==
               "dpdk.mbuf_cache (1024) must be at most 512 and at most dpdk.mempool_mbufs / 1.5 "
               "(DPDK's limits)");
}

BOOST_AUTO_TEST_SUITE_END()
