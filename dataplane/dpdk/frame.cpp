#include "dataplane/dpdk/frame.hpp"

#include <arpa/inet.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace shardgate {
namespace {

constexpr std::uint16_t ether_ipv4 = 0x0800;
constexpr std::uint16_t ether_ipv6 = 0x86dd;
constexpr std::uint16_t ether_vlan = 0x8100; // 802.1Q
constexpr std::uint16_t ether_qinq = 0x88a8; // 802.1ad outer tag
constexpr std::uint8_t ip_udp = 17;
// IPv6 extension headers we walk past; a fragment header ends the walk
// unless it is an atomic fragment.
constexpr std::uint8_t ip6_hop_by_hop = 0, ip6_routing = 43, ip6_fragment = 44, ip6_dest_options = 60;

std::uint16_t be16(const std::byte* p) noexcept {
    return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) |
                                      std::to_integer<unsigned>(p[1]));
}
void put16(std::byte* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::byte>(v >> 8);
    p[1] = static_cast<std::byte>(v);
}
void put32(std::byte* p, std::uint32_t v) noexcept {
    put16(p, static_cast<std::uint16_t>(v >> 16));
    put16(p + 2, static_cast<std::uint16_t>(v));
}
std::uint16_t fold(std::uint64_t s) noexcept {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<std::uint16_t>(s);
}
/// RFC 1071 sum of `n` bytes as big-endian 16-bit words, folded to 16 bits.
/// One's-complement addition commutes with swapping the bytes of every word
/// (RFC 1071, "byte order independence"), so this adds native 32-bit words
/// into 64 bits — five loads for an IPv4 header — and swaps once at the end.
std::uint16_t sum16(const std::byte* p, std::size_t n) noexcept {
    static_assert(std::endian::native == std::endian::little,
                  "the native-word sum and its final swap assume a little-endian CPU");
    std::uint64_t s = 0;
    for (; n >= 4; p += 4, n -= 4) {
        std::uint32_t w;
        std::memcpy(&w, p, 4);
        s += w;
    }
    if (n >= 2) {
        std::uint16_t w;
        std::memcpy(&w, p, 2);
        s += w;
        p += 2;
        n -= 2;
    }
    if (n) s += std::to_integer<std::uint32_t>(p[0]); // a last odd byte, zero-padded (native order)
    const std::uint16_t native = fold(s);
    return static_cast<std::uint16_t>((native >> 8) | (native << 8));
}

parsed_frame verdict(frame_verdict v) noexcept {
    parsed_frame f;
    f.verdict = v;
    return f;
}

/// UDP header at `udp` with `room` bytes of IP payload after it.
parsed_frame parse_udp(const std::byte* frame, const std::byte* udp, std::size_t room, std::uint16_t udp_port,
                       nic_checksum l4, bool ipv6) noexcept {
    if (room < udp_header_bytes) [[unlikely]]
        return verdict(frame_verdict::bad_udp_length);
    const std::uint16_t length = be16(udp + 4);
    if (length < udp_header_bytes || length > room) [[unlikely]]
        return verdict(frame_verdict::bad_udp_length);
    parsed_frame f;
    f.dst_port = be16(udp + 2);
    f.ipv6 = ipv6;
    if (udp_port != 0 && f.dst_port != udp_port) {
        f.verdict = frame_verdict::wrong_port;
        return f;
    }
    if (l4 == nic_checksum::bad) [[unlikely]] {
        f.verdict = frame_verdict::bad_l4_checksum;
        return f;
    }
    f.verdict = frame_verdict::udp;
    f.payload_offset = static_cast<std::uint32_t>(udp + udp_header_bytes - frame);
    f.payload_length = length - udp_header_bytes;
    return f;
}

} // namespace

std::string_view to_string(frame_verdict v) noexcept {
    switch (v) {
    case frame_verdict::udp:
        return "udp";
    case frame_verdict::not_ip:
        return "not_ip";
    case frame_verdict::not_udp:
        return "not_udp";
    case frame_verdict::fragment:
        return "fragment";
    case frame_verdict::wrong_port:
        return "wrong_port";
    case frame_verdict::short_ethernet:
        return "short_ethernet";
    case frame_verdict::bad_ip_header:
        return "bad_ip_header";
    case frame_verdict::bad_ip_length:
        return "bad_ip_length";
    case frame_verdict::bad_ip_checksum:
        return "bad_ip_checksum";
    case frame_verdict::bad_udp_length:
        return "bad_udp_length";
    case frame_verdict::bad_l4_checksum:
        return "bad_l4_checksum";
    }
    return "?";
}

std::uint16_t internet_checksum(std::span<const std::byte> bytes, std::uint32_t seed) noexcept {
    return static_cast<std::uint16_t>(~fold(std::uint64_t{seed} + sum16(bytes.data(), bytes.size())));
}

parsed_frame parse_frame(std::span<const std::byte> frame, std::uint16_t udp_port, nic_checksum ip,
                         nic_checksum l4) noexcept {
    const std::byte* p = frame.data();
    const std::size_t n = frame.size();
    std::size_t at = 12; // the ethertype (or the first tag's TPID)
    if (n < ethernet_header_bytes) [[unlikely]]
        return verdict(frame_verdict::short_ethernet);
    std::uint16_t type = be16(p + at);
    for (int tags = 0; (type == ether_vlan || type == ether_qinq) && tags < 2; ++tags) {
        at += 4; // TPID + TCI; the next ethertype follows
        if (n < at + 2) [[unlikely]]
            return verdict(frame_verdict::short_ethernet);
        type = be16(p + at);
    }
    at += 2;
    const std::byte* l3 = p + at;
    const std::size_t room = n - at; // IP bytes the frame holds (padding included)

    if (type == ether_ipv4) [[likely]] {
        if (room < ipv4_header_bytes) [[unlikely]]
            return verdict(frame_verdict::bad_ip_header);
        const unsigned vihl = std::to_integer<unsigned>(l3[0]);
        const std::size_t ihl = (vihl & 0x0f) * 4u;
        if ((vihl >> 4) != 4 || ihl < ipv4_header_bytes || ihl > room) [[unlikely]]
            return verdict(frame_verdict::bad_ip_header);
        const std::size_t total = be16(l3 + 2);
        if (total < ihl || total > room) [[unlikely]]
            return verdict(frame_verdict::bad_ip_length);
        if (ip == nic_checksum::bad || (ip == nic_checksum::unknown && fold(sum16(l3, ihl)) != 0xffff))
            [[unlikely]]
            return verdict(frame_verdict::bad_ip_checksum);
        // Flags + fragment offset: MF set or a non-zero offset is a fragment.
        if ((be16(l3 + 6) & 0x3fff) != 0) [[unlikely]]
            return verdict(frame_verdict::fragment);
        if (std::to_integer<std::uint8_t>(l3[9]) != ip_udp) return verdict(frame_verdict::not_udp);
        return parse_udp(p, l3 + ihl, total - ihl, udp_port, l4, false);
    }
    if (type == ether_ipv6) {
        constexpr std::size_t fixed = 40;
        if (room < fixed || (std::to_integer<unsigned>(l3[0]) >> 4) != 6) [[unlikely]]
            return verdict(frame_verdict::bad_ip_header);
        const std::size_t payload = be16(l3 + 4);
        // Payload length 0 is a jumbogram (hop-by-hop option), not supported.
        if (payload == 0 || payload > room - fixed) [[unlikely]]
            return verdict(frame_verdict::bad_ip_length);
        std::uint8_t next = std::to_integer<std::uint8_t>(l3[6]);
        std::size_t off = fixed;
        const std::size_t end = fixed + payload;
        while (next == ip6_hop_by_hop || next == ip6_routing || next == ip6_dest_options ||
               next == ip6_fragment) {
            if (off + 8 > end) [[unlikely]]
                return verdict(frame_verdict::bad_ip_length);
            if (next == ip6_fragment) {
                // Offset 0 and no more fragments: an atomic fragment, the whole
                // datagram (RFC 6946 says to process it as one). Else a piece.
                if ((be16(l3 + off + 2) & 0xfff9) != 0) return verdict(frame_verdict::fragment);
                next = std::to_integer<std::uint8_t>(l3[off]);
                off += 8;
                continue;
            }
            next = std::to_integer<std::uint8_t>(l3[off]);
            off += (std::to_integer<std::size_t>(l3[off + 1]) + 1) * 8;
            if (off > end) [[unlikely]]
                return verdict(frame_verdict::bad_ip_length);
        }
        if (next != ip_udp) return verdict(frame_verdict::not_udp);
        return parse_udp(p, l3 + off, end - off, udp_port, l4, true);
    }
    return verdict(frame_verdict::not_ip);
}

mac_address parse_mac(std::string_view text, std::string_view what) {
    mac_address m{};
    const auto fail = [&] {
        throw std::invalid_argument(std::string(what) +
                                    ": expected a MAC address aa:bb:cc:dd:ee:ff, found \"" +
                                    std::string(text) + "\"");
    };
    if (text.size() != 17) fail();
    for (std::size_t i = 0; i < 6; ++i) {
        unsigned v = 0;
        for (std::size_t k = 0; k < 2; ++k) {
            const char c = text[i * 3 + k];
            const int d = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
            if (d < 0) fail();
            v = v * 16 + static_cast<unsigned>(d);
        }
        if (i < 5 && text[i * 3 + 2] != ':') fail();
        m[i] = static_cast<std::uint8_t>(v);
    }
    return m;
}

std::uint32_t parse_ipv4(std::string_view text, std::string_view what) {
    in_addr a{};
    if (inet_pton(AF_INET, std::string(text).c_str(), &a) != 1)
        throw std::invalid_argument(std::string(what) +
                                    ": expected a dotted IPv4 address (10.0.0.1), found \"" +
                                    std::string(text) + "\"");
    return ntohl(a.s_addr);
}

std::string to_string(const mac_address& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

udp_frame_template::udp_frame_template(const mac_address& src_mac, const mac_address& dst_mac,
                                       std::uint32_t src_ip, std::uint32_t dst_ip, std::uint16_t src_port,
                                       std::uint16_t dst_port) noexcept
    : src_ip_(src_ip), dst_ip_(dst_ip) {
    std::byte* h = header_.data();
    std::memcpy(h, dst_mac.data(), 6);
    std::memcpy(h + 6, src_mac.data(), 6);
    put16(h + 12, ether_ipv4);
    std::byte* ip = h + ethernet_header_bytes;
    ip[0] = std::byte{0x45}; // version 4, 5 words
    put16(ip + 6, 0x4000);   // DF: records must not be split across fragments
    ip[8] = std::byte{64};   // TTL
    ip[9] = std::byte{ip_udp};
    put32(ip + 12, src_ip);
    put32(ip + 16, dst_ip);
    std::byte* udp = ip + ipv4_header_bytes;
    put16(udp, src_port);
    put16(udp + 2, dst_port);
    // Length, id and checksum are 0 here: the sum of the words that never change.
    ip_sum_ = sum16(ip, ipv4_header_bytes);
}

void udp_frame_template::write(std::byte* out, std::uint32_t payload_length, std::uint16_t ip_id,
                               bool ip_checksum, std::uint16_t udp_checksum) const noexcept {
    std::memcpy(out, header_.data(), udp_frame_header_bytes);
    std::byte* ip = out + ethernet_header_bytes;
    const auto total = static_cast<std::uint16_t>(ipv4_header_bytes + udp_header_bytes + payload_length);
    put16(ip + 2, total);
    put16(ip + 4, ip_id);
    // The header's sum is the template's fixed words plus the two that vary:
    // no reading back of the bytes just written.
    if (ip_checksum)
        put16(ip + 10, static_cast<std::uint16_t>(~fold(std::uint64_t{ip_sum_} + total + ip_id)));
    std::byte* udp = ip + ipv4_header_bytes;
    put16(udp + 4, static_cast<std::uint16_t>(udp_header_bytes + payload_length));
    put16(udp + 6, udp_checksum);
}

std::uint16_t udp_frame_template::pseudo_header_sum(std::uint32_t payload_length) const noexcept {
    const std::uint64_t s = (src_ip_ >> 16) + (src_ip_ & 0xffff) + (dst_ip_ >> 16) + (dst_ip_ & 0xffff) +
                            ip_udp + udp_header_bytes + payload_length;
    return fold(s);
}

} // namespace shardgate
