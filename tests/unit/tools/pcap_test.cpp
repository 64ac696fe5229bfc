// pcap writer and reader, and the frame checks the sink applies.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "tests/unit/tools/printers.hpp"
#include "tools/common/pcap.hpp"

using namespace shardgate::tools;

namespace {

std::string temp_path(const char* name) {
    return "/tmp/shardgate_pcap_test_" + std::to_string(getpid()) + "_" + name;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<char> frame_of(std::string_view payload, udp_endpoints e = {}) {
    std::vector<char> f;
    build_udp_frame(e, 7, payload, f);
    return f;
}

} // namespace

BOOST_AUTO_TEST_SUITE(pcap)

BOOST_AUTO_TEST_CASE(ipv6_frames_carry_the_payload_with_a_checked_udp_checksum) {
    udp_endpoints e;
    set_ip_addresses(e, "fd00::1", "fd00::2:3");
    BOOST_TEST(e.ipv6);
    e.dst_port = 9001;
    const std::string payload = "records of a datagram";
    auto f = frame_of(payload, e);
    BOOST_REQUIRE_EQUAL(f.size(), 14u + 40u + 8u + payload.size());
    BOOST_TEST(static_cast<unsigned char>(f[12]) == 0x86); // ethertype 0x86dd
    BOOST_TEST(static_cast<unsigned char>(f[13]) == 0xdd);
    BOOST_TEST(static_cast<unsigned char>(f[14 + 8 + 15]) == 1);  // fd00::1 ends in 1
    BOOST_TEST(static_cast<unsigned char>(f[14 + 24 + 13]) == 2); // fd00::2:3
    BOOST_TEST(static_cast<unsigned char>(f[14 + 24 + 15]) == 3);
    auto info = parse_udp_frame({f.data(), f.size()});
    BOOST_REQUIRE_MESSAGE(info.kind == frame_kind::udp, info.what);
    BOOST_TEST(info.payload == payload);
    BOOST_TEST(info.dst_port == 9001);
    // IPv6 requires the UDP checksum: a flipped payload bit is caught.
    f.back() ^= 1;
    info = parse_udp_frame({f.data(), f.size()});
    BOOST_TEST(info.kind == frame_kind::bad);
    BOOST_TEST(std::string(info.what) == "bad UDP checksum");
}

BOOST_AUTO_TEST_CASE(address_families_must_match_and_parse) {
    udp_endpoints e;
    set_ip_addresses(e, "10.1.2.3", "10.1.2.4");
    BOOST_TEST(!e.ipv6);
    BOOST_TEST(e.src_ip == 0x0a010203u);
    const auto error = [&](std::string_view a, std::string_view b) {
        try {
            set_ip_addresses(e, a, b);
        } catch (const std::invalid_argument& x) {
            return std::string(x.what());
        }
        return std::string("accepted");
    };
    BOOST_TEST(error("10.0.0.1", "fd00::1").find("different families") != std::string::npos);
    BOOST_TEST(error("fd00::1", "fd00::zz") ==
               "bad IPv6 address 'fd00::zz'; expected an address like fd00::1");
    BOOST_TEST(error("10.0.0", "10.0.0.1").find("bad IPv4 address '10.0.0'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(write_then_read_gives_the_same_payloads_and_ports) {
    const std::string path = temp_path("rt.pcap");
    std::vector<std::string> payloads = {"a", std::string(1472, 'x'), std::string(max_udp_payload, 'y'), ""};
    {
        pcap_writer w(path);
        udp_endpoints e;
        for (std::size_t i = 0; i < payloads.size(); ++i) {
            e.dst_port = static_cast<std::uint16_t>(9000 + i);
            const auto f = frame_of(payloads[i], e);
            w.write_frame({f.data(), f.size()}, 1'700'000'000'000'000'000ULL + i * 1000);
        }
        w.close();
    }
    pcap_reader r(path);
    pcap_reader::frame f;
    std::size_t i = 0;
    while (r.next(f)) {
        BOOST_REQUIRE(i < payloads.size());
        const auto info = parse_udp_frame(f.data);
        BOOST_REQUIRE_MESSAGE(info.kind == frame_kind::udp, info.what);
        BOOST_TEST(info.payload == payloads[i]);
        BOOST_TEST(info.dst_port == 9000 + i);
        BOOST_TEST(f.original_length == f.data.size());
        ++i;
    }
    BOOST_TEST(i == payloads.size());
    BOOST_TEST(r.frames() == payloads.size());
    // the file layout is the classic one: 24-byte header, 16 per frame
    const std::string bytes = slurp(path);
    std::size_t expected = 24;
    for (const auto& p : payloads) expected += 16 + 14 + 20 + 8 + p.size();
    BOOST_TEST(bytes.size() == expected);
    BOOST_TEST(bytes.substr(0, 4) == std::string("\xd4\xc3\xb2\xa1", 4));
    std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(frames_carry_valid_checksums_and_corruption_is_caught) {
    auto f = frame_of("hello");
    BOOST_TEST((parse_udp_frame({f.data(), f.size()}).kind == frame_kind::udp));
    auto bad_ip = f;
    bad_ip[14 + 8] = 1; // TTL changed, header checksum stale
    auto r = parse_udp_frame({bad_ip.data(), bad_ip.size()});
    BOOST_TEST((r.kind == frame_kind::bad));
    BOOST_TEST(std::string(r.what) == "bad IPv4 header checksum");
    BOOST_TEST((parse_udp_frame({bad_ip.data(), bad_ip.size()}, false).kind == frame_kind::udp));
    auto bad_udp = f;
    bad_udp.back() ^= 1; // payload byte flipped
    r = parse_udp_frame({bad_udp.data(), bad_udp.size()});
    BOOST_TEST(std::string(r.what) == "bad UDP checksum");
    auto no_csum = bad_udp;
    no_csum[14 + 20 + 6] = 0; // checksum 0: none, allowed on IPv4
    no_csum[14 + 20 + 7] = 0;
    BOOST_TEST((parse_udp_frame({no_csum.data(), no_csum.size()}).kind == frame_kind::udp));
}

BOOST_AUTO_TEST_CASE(inconsistent_or_foreign_frames_are_classified) {
    auto f = frame_of("hello");
    BOOST_TEST((parse_udp_frame({f.data(), 20}).kind == frame_kind::bad)); // cut inside the IP header
    BOOST_TEST(std::string(parse_udp_frame({f.data(), f.size() - 1}).what) ==
               "IPv4 total length disagrees with the frame");
    auto padded = f;
    padded.resize(f.size() + 10, '\0'); // Ethernet padding is fine
    const auto p = parse_udp_frame({padded.data(), padded.size()});
    BOOST_TEST((p.kind == frame_kind::udp));
    BOOST_TEST(p.payload == "hello");
    auto arp = f;
    arp[12] = 0x08;
    arp[13] = 0x06;
    BOOST_TEST((parse_udp_frame({arp.data(), arp.size()}).kind == frame_kind::not_udp));
    auto frag = f;
    frag[14 + 6] = 0x20; // more fragments
    BOOST_TEST(std::string(parse_udp_frame({frag.data(), frag.size()}, false).what) ==
               "IPv4 fragment (MF set or offset non-zero)");
}

BOOST_AUTO_TEST_CASE(reader_reports_bad_files_precisely) {
    const std::string path = temp_path("bad.pcap");
    {
        std::ofstream out(path, std::ios::binary);
        out << "not a capture file at all";
    }
    BOOST_CHECK_EXCEPTION(pcap_reader{path}, std::runtime_error, [&](const std::runtime_error& e) {
        return std::string(e.what()) == path + ": not a pcap file (bad magic number)";
    });
    // a valid header, then a frame that claims more bytes than the file has
    {
        pcap_writer w(path);
        const auto f = frame_of("abc");
        w.write_frame({f.data(), f.size()}, 0);
        w.close();
    }
    std::string bytes = slurp(path);
    bytes.resize(bytes.size() - 2);
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << bytes;
    }
    pcap_reader r(path);
    pcap_reader::frame fr;
    BOOST_CHECK_EXCEPTION(r.next(fr), std::runtime_error, [](const std::runtime_error& e) {
        return std::string(e.what()).find("frame at byte 24 claims") != std::string::npos;
    });
    std::remove(path.c_str());
    BOOST_CHECK_THROW(pcap_reader{path}, std::runtime_error);
}

BOOST_AUTO_TEST_CASE(addresses_parse_or_fail_with_the_text) {
    BOOST_TEST(parse_ipv4("10.1.2.3") == 0x0a010203u);
    BOOST_TEST((parse_mac("02:aA:00:00:00:ff") == mac_address{0x02, 0xaa, 0, 0, 0, 0xff}));
    for (auto bad : {"10.1.2", "10.1.2.256", "10.1.2.3x", ""})
        BOOST_CHECK_THROW((void)parse_ipv4(bad), std::invalid_argument);
    for (auto bad : {"02:00:00:00:00", "02:00:00:00:00:00:00", "0g:00:00:00:00:00"})
        BOOST_CHECK_THROW((void)parse_mac(bad), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
