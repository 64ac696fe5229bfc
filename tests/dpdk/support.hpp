#pragma once
// Helpers shared by the DPDK suites: EAL arguments for a machine without
// hugepages or NICs, skipping (exit 77) with a reason, one EAL per process,
// and crafted frames.

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include "dataplane/dpdk/dpdk.hpp"
#include "dataplane/dpdk/frame.hpp"

namespace shardgate::test {

/// EAL arguments every test uses: no hugepages, no PCI scan, 256 MB of
/// anonymous memory. The environment adds a per-process --file-prefix.
inline std::vector<std::string> no_huge_args() { return {"--no-huge", "--no-pci", "-m", "256"}; }

/// Ends the process with meson's SKIP code, saying why.
[[noreturn]] inline void skip(const std::string& why) {
    std::cout << "SKIP: " << why << std::endl;
    std::fflush(nullptr);
    std::_Exit(77);
}

/// Skips when a virtual device driver this test needs is not installed.
inline void require_drivers(std::initializer_list<const char*> needed) {
    const auto missing = missing_dpdk_drivers();
    for (const char* d : needed)
        for (const auto& m : missing)
            if (m == d)
                skip(std::string("the DPDK driver ") + d + " is not installed (Debian package librte-net-" +
                     std::string(d).substr(4) + "23)");
}

/// HugePages_Free from /proc/meminfo (0 when absent).
inline long free_hugepages() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    long v = 0;
    while (in >> key >> v) {
        if (key == "HugePages_Free:") return v;
        in.ignore(256, '\n');
    }
    return 0;
}

/// DPDK's EAL starts once per process, so every test case that starts it is
/// disabled by default and meson runs each as its own process by naming it
/// (--run_test=suite/case). Naming two in one run fails the second with
/// "the EAL ... starts once per process".
inline bool& eal_claimed() {
    static bool claimed = false;
    return claimed;
}
inline void claim_eal() {
    BOOST_REQUIRE_MESSAGE(!eal_claimed(), "an earlier test case in this process started the EAL; run each "
                                          "EAL test case in its own process (--run_test=suite/case)");
    eal_claimed() = true;
}

/// Appends `n` bytes of `v` big-endian.
inline void put_be(std::vector<std::byte>& out, std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}

/// A frame built by hand (independent of udp_frame_template): Ethernet with
/// optional VLAN tags, then IPv4 (optional options) / UDP / payload. Fields
/// can be overridden to break them.
struct ipv4_udp_spec {
    int vlan_tags = 0;
    std::uint8_t version_ihl = 0x45;
    std::vector<std::byte> options{}; ///< IPv4 options (multiple of 4, matches ihl)
    std::uint16_t flags_fragment = 0x4000;
    std::uint8_t protocol = 17;
    int total_length_delta = 0; ///< added to the correct IPv4 total length
    int udp_length_delta = 0;   ///< added to the correct UDP length
    bool break_checksum = false;
    std::uint16_t dst_port = 9000;
    std::size_t padding = 0; ///< Ethernet padding after the IP packet
};

inline std::vector<std::byte> ipv4_udp_frame(std::span<const std::byte> payload,
                                             const ipv4_udp_spec& s = {}) {
    std::vector<std::byte> f;
    put_be(f, 0x020000000002, 6); // dst MAC
    put_be(f, 0x020000000001, 6); // src MAC
    for (int t = 0; t < s.vlan_tags; ++t) {
        put_be(f, t == 0 && s.vlan_tags == 2 ? 0x88a8 : 0x8100, 2);
        put_be(f, 100 + t, 2);
    }
    put_be(f, 0x0800, 2);
    const std::size_t ip_at = f.size();
    const std::size_t ihl = 20 + s.options.size();
    const std::size_t total = ihl + 8 + payload.size();
    f.push_back(static_cast<std::byte>(s.version_ihl));
    f.push_back(std::byte{0});
    put_be(f, static_cast<std::uint16_t>(static_cast<int>(total) + s.total_length_delta), 2);
    put_be(f, 0x1234, 2);
    put_be(f, s.flags_fragment, 2);
    f.push_back(std::byte{64});
    f.push_back(static_cast<std::byte>(s.protocol));
    put_be(f, 0, 2); // checksum, below
    put_be(f, 0x0a000001, 4);
    put_be(f, 0x0a000002, 4);
    f.insert(f.end(), s.options.begin(), s.options.end());
    std::uint16_t sum = internet_checksum(std::span<const std::byte>(f.data() + ip_at, ihl));
    if (s.break_checksum) sum ^= 0x0101;
    f[ip_at + 10] = static_cast<std::byte>(sum >> 8);
    f[ip_at + 11] = static_cast<std::byte>(sum);
    put_be(f, 40000, 2);
    put_be(f, s.dst_port, 2);
    put_be(f, static_cast<std::uint16_t>(static_cast<int>(8 + payload.size()) + s.udp_length_delta), 2);
    put_be(f, 0, 2);
    f.insert(f.end(), payload.begin(), payload.end());
    f.insert(f.end(), s.padding, std::byte{0});
    return f;
}

/// Ethernet / IPv6 (with optional extension headers before UDP) / UDP.
/// `ext` holds (next-header value of this extension, its bytes) pairs, in order.
inline std::vector<std::byte>
ipv6_udp_frame(std::span<const std::byte> payload,
               const std::vector<std::pair<std::uint8_t, std::vector<std::byte>>>& ext = {},
               std::uint8_t final_next = 17) {
    std::vector<std::byte> f;
    put_be(f, 0x020000000002, 6);
    put_be(f, 0x020000000001, 6);
    put_be(f, 0x86dd, 2);
    std::size_t ext_bytes = 0;
    for (const auto& e : ext) ext_bytes += e.second.size();
    put_be(f, 0x60000000, 4);
    put_be(f, ext_bytes + 8 + payload.size(), 2);
    f.push_back(static_cast<std::byte>(ext.empty() ? final_next : ext[0].first));
    f.push_back(std::byte{64});
    for (int i = 0; i < 2; ++i) { // ::1 style addresses
        put_be(f, 0xfd00000000000000ull, 8);
        put_be(f, 1 + i, 8);
    }
    for (std::size_t i = 0; i < ext.size(); ++i) {
        std::vector<std::byte> e = ext[i].second;
        e[0] = static_cast<std::byte>(i + 1 < ext.size() ? ext[i + 1].first : final_next);
        f.insert(f.end(), e.begin(), e.end());
    }
    put_be(f, 40000, 2);
    put_be(f, 9000, 2);
    put_be(f, 8 + payload.size(), 2);
    put_be(f, 0, 2);
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

inline std::vector<std::byte> bytes_of(std::string_view s) {
    std::vector<std::byte> v(s.size());
    std::memcpy(v.data(), s.data(), s.size());
    return v;
}

} // namespace shardgate::test
