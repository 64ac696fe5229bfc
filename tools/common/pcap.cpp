#include "tools/common/pcap.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace shardgate::tools {

namespace {

constexpr std::uint32_t magic_us = 0xa1b2c3d4;
constexpr std::uint32_t magic_ns = 0xa1b23c4d;
constexpr std::uint32_t linktype_ethernet = 1;
constexpr std::uint32_t snaplen = 262144;
constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_ipv6 = 0x86dd;
constexpr std::uint16_t ethertype_vlan = 0x8100;

std::uint16_t be16(const char* p) noexcept {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(p[0]) << 8) |
                                      static_cast<unsigned char>(p[1]));
}
void put_be16(char* p, std::uint16_t v) noexcept {
    p[0] = static_cast<char>(v >> 8);
    p[1] = static_cast<char>(v);
}
void put_be32(char* p, std::uint32_t v) noexcept {
    put_be16(p, static_cast<std::uint16_t>(v >> 16));
    put_be16(p + 2, static_cast<std::uint16_t>(v));
}
std::uint32_t le32(const char* p, bool swapped) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

/// One's-complement sum of 16-bit big-endian words (odd byte padded with 0).
std::uint32_t csum_add(std::uint32_t sum, const char* p, std::size_t n) noexcept {
    for (std::size_t i = 0; i + 1 < n; i += 2) sum += be16(p + i);
    if (n & 1) sum += static_cast<std::uint32_t>(static_cast<unsigned char>(p[n - 1])) << 8;
    return sum;
}
std::uint16_t csum_fold(std::uint32_t sum) noexcept {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

std::string errno_text() { return std::strerror(errno); }

} // namespace

mac_address parse_mac(std::string_view text) {
    mac_address m{};
    std::size_t pos = 0;
    for (std::size_t i = 0; i < 6; ++i) {
        unsigned v = 0;
        std::size_t digits = 0;
        while (pos < text.size() && digits < 2) {
            const char c = text[pos];
            unsigned d;
            if (c >= '0' && c <= '9')
                d = static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                d = static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                d = static_cast<unsigned>(c - 'A' + 10);
            else
                break;
            v = v * 16 + d;
            ++pos;
            ++digits;
        }
        if (digits == 0) break;
        m[i] = static_cast<std::uint8_t>(v);
        if (i < 5) {
            if (pos >= text.size() || text[pos] != ':') break;
            ++pos;
        } else if (pos == text.size()) {
            return m;
        }
    }
    throw std::invalid_argument("bad MAC address '" + std::string(text) +
                                "'; expected six hex bytes like 02:00:00:00:00:01");
}

std::uint32_t parse_ipv4(std::string_view text) {
    std::uint32_t ip = 0;
    std::size_t pos = 0;
    for (int i = 0; i < 4; ++i) {
        unsigned v = 0;
        std::size_t digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 3) {
            v = v * 10 + static_cast<unsigned>(text[pos] - '0');
            ++pos;
            ++digits;
        }
        if (digits == 0 || v > 255) break;
        ip = (ip << 8) | v;
        if (i < 3) {
            if (pos >= text.size() || text[pos] != '.') break;
            ++pos;
        } else if (pos == text.size()) {
            return ip;
        }
    }
    throw std::invalid_argument("bad IPv4 address '" + std::string(text) +
                                "'; expected a dotted quad like 10.0.0.1");
}

ipv6_address parse_ipv6(std::string_view text) {
    ipv6_address a{};
    if (text.size() >= INET6_ADDRSTRLEN || inet_pton(AF_INET6, std::string(text).c_str(), a.data()) != 1)
        throw std::invalid_argument("bad IPv6 address '" + std::string(text) +
                                    "'; expected an address like fd00::1");
    return a;
}

void set_ip_addresses(udp_endpoints& e, std::string_view src, std::string_view dst) {
    const bool src6 = src.find(':') != std::string_view::npos;
    const bool dst6 = dst.find(':') != std::string_view::npos;
    if (src6 != dst6)
        throw std::invalid_argument("source address '" + std::string(src) + "' and destination address '" +
                                    std::string(dst) +
                                    "' are of different families; expected two IPv4 or "
                                    "two IPv6 addresses");
    e.ipv6 = src6;
    if (e.ipv6) {
        e.src_ip6 = parse_ipv6(src);
        e.dst_ip6 = parse_ipv6(dst);
    } else {
        e.src_ip = parse_ipv4(src);
        e.dst_ip = parse_ipv4(dst);
    }
}

void build_udp_frame(const udp_endpoints& e, std::uint16_t ip_id, std::string_view payload,
                     std::vector<char>& out) {
    const std::size_t at = out.size();
    const std::size_t udp_len = 8 + payload.size();
    const std::size_t ip_header = e.ipv6 ? 40 : 20;
    out.resize(at + 14 + ip_header + udp_len);
    char* f = out.data() + at;
    std::memcpy(f, e.dst_mac.data(), 6);
    std::memcpy(f + 6, e.src_mac.data(), 6);
    put_be16(f + 12, e.ipv6 ? ethertype_ipv6 : ethertype_ipv4);
    char* ip = f + 14;
    std::uint32_t pseudo; // the UDP pseudo header's addresses and protocol
    if (e.ipv6) {
        put_be32(ip, 0x60000000u | ip_id); // version 6, traffic class 0, ip_id as the flow label
        put_be16(ip + 4, static_cast<std::uint16_t>(udp_len));
        ip[6] = 17; // next header: UDP
        ip[7] = 64; // hop limit
        std::memcpy(ip + 8, e.src_ip6.data(), 16);
        std::memcpy(ip + 24, e.dst_ip6.data(), 16);
        pseudo = csum_add(0, ip + 8, 32) + 17;
    } else {
        ip[0] = 0x45; // version 4, 5 words
        ip[1] = 0;
        put_be16(ip + 2, static_cast<std::uint16_t>(ip_header + udp_len));
        put_be16(ip + 4, ip_id);
        put_be16(ip + 6, 0); // no fragmentation flags
        ip[8] = 64;          // TTL
        ip[9] = 17;          // UDP
        put_be16(ip + 10, 0);
        put_be32(ip + 12, e.src_ip);
        put_be32(ip + 16, e.dst_ip);
        put_be16(ip + 10, csum_fold(csum_add(0, ip, 20)));
        pseudo = csum_add(0, ip + 12, 8) + 17;
    }
    char* udp = ip + ip_header;
    put_be16(udp, e.src_port);
    put_be16(udp + 2, e.dst_port);
    put_be16(udp + 4, static_cast<std::uint16_t>(udp_len));
    put_be16(udp + 6, 0);
    std::memcpy(udp + 8, payload.data(), payload.size());
    // Optional in IPv4, mandatory in IPv6; 0 would mean "none", so it is sent as 0xffff.
    const std::uint16_t c = csum_fold(csum_add(pseudo + static_cast<std::uint32_t>(udp_len), udp, udp_len));
    put_be16(udp + 6, c == 0 ? 0xffff : c);
}

pcap_writer::pcap_writer(const std::string& path) : path_(path) {
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_) throw std::runtime_error("cannot create pcap file " + path + ": " + errno_text());
    buf_.resize(1 << 20);
    std::setvbuf(f_, buf_.data(), _IOFBF, buf_.size());
    // magic, version 2.4, thiszone 0, sigfigs 0, snaplen, link type
    char h[24];
    const std::uint32_t magic = magic_us;
    const std::uint16_t version[2] = {2, 4};
    const std::uint32_t rest[4] = {0, 0, snaplen, linktype_ethernet};
    std::memcpy(h, &magic, 4);
    std::memcpy(h + 4, version, 4);
    std::memcpy(h + 8, rest, 16);
    if (std::fwrite(h, 1, sizeof h, f_) != sizeof h)
        throw std::runtime_error("cannot write pcap file " + path + ": " + errno_text());
}

pcap_writer::~pcap_writer() {
    if (f_) std::fclose(f_);
}

void pcap_writer::write_frame(std::string_view frame, std::uint64_t ts_ns) {
    const std::uint32_t h[4] = {
        static_cast<std::uint32_t>(ts_ns / 1000000000), static_cast<std::uint32_t>(ts_ns % 1000000000 / 1000),
        static_cast<std::uint32_t>(frame.size()), static_cast<std::uint32_t>(frame.size())};
    if (std::fwrite(h, 1, sizeof h, f_) != sizeof h ||
        std::fwrite(frame.data(), 1, frame.size(), f_) != frame.size())
        throw std::runtime_error("cannot write pcap file " + path_ + ": " + errno_text());
}

void pcap_writer::close() {
    if (!f_) return;
    const bool ok = std::fflush(f_) == 0;
    const int err = errno;
    std::fclose(f_);
    f_ = nullptr;
    if (!ok) throw std::runtime_error("cannot write pcap file " + path_ + ": " + std::strerror(err));
}

frame_info parse_udp_frame(std::string_view frame, bool check_checksums) noexcept {
    frame_info r;
    const char* f = frame.data();
    std::size_t n = frame.size();
    if (n < 14) return r.what = "frame shorter than an Ethernet header", r;
    std::size_t off = 12;
    std::uint16_t type = be16(f + off);
    if (type == ethertype_vlan) {
        if (n < 18) return r.what = "frame shorter than its VLAN tag", r;
        off += 4;
        type = be16(f + off);
    }
    off += 2;
    const char* l4 = nullptr;
    std::size_t l4_len = 0;
    std::uint32_t pseudo = 0;
    bool checksum_required = false;
    if (type == ethertype_ipv4) {
        const char* ip = f + off;
        const std::size_t avail = n - off;
        if (avail < 20) return r.what = "IPv4 header cut short", r;
        const unsigned ihl = (static_cast<unsigned char>(ip[0]) & 0x0f) * 4u;
        if ((static_cast<unsigned char>(ip[0]) >> 4) != 4 || ihl < 20)
            return r.what = "bad IPv4 version or header length", r;
        const std::size_t total = be16(ip + 2);
        if (total < ihl || total > avail) return r.what = "IPv4 total length disagrees with the frame", r;
        if ((be16(ip + 6) & 0x3fff) != 0) return r.what = "IPv4 fragment (MF set or offset non-zero)", r;
        if (check_checksums && csum_fold(csum_add(0, ip, ihl)) != 0)
            return r.what = "bad IPv4 header checksum", r;
        if (static_cast<unsigned char>(ip[9]) != 17) return r.kind = frame_kind::not_udp, r;
        l4 = ip + ihl;
        l4_len = total - ihl;
        pseudo = csum_add(0, ip + 12, 8) + 17;
    } else if (type == ethertype_ipv6) {
        const char* ip = f + off;
        const std::size_t avail = n - off;
        if (avail < 40) return r.what = "IPv6 header cut short", r;
        const std::size_t plen = be16(ip + 4);
        if (40 + plen > avail) return r.what = "IPv6 payload length disagrees with the frame", r;
        if (static_cast<unsigned char>(ip[6]) != 17)
            return r.kind = frame_kind::not_udp, r; // extension headers: not ours
        l4 = ip + 40;
        l4_len = plen;
        pseudo = csum_add(0, ip + 8, 32) + 17;
        checksum_required = true;
    } else {
        return r.kind = frame_kind::not_udp, r;
    }
    if (l4_len < 8) return r.what = "UDP header cut short", r;
    const std::size_t udp_len = be16(l4 + 4);
    if (udp_len != l4_len) return r.what = "UDP length disagrees with the IP length", r;
    const std::uint16_t stored = be16(l4 + 6);
    if (check_checksums && (stored != 0 || checksum_required)) {
        if (csum_fold(csum_add(pseudo + static_cast<std::uint32_t>(udp_len), l4, udp_len)) != 0)
            return r.what = "bad UDP checksum", r;
    }
    r.kind = frame_kind::udp;
    r.dst_port = be16(l4 + 2);
    r.payload = {l4 + 8, udp_len - 8};
    return r;
}

pcap_reader::pcap_reader(const std::string& path) : path_(path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open pcap file " + path + ": " + errno_text());
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(in.tellg());
    in.seekg(0);
    data_.resize(size);
    if (size > 0 && !in.read(data_.data(), static_cast<std::streamsize>(size)))
        throw std::runtime_error("cannot read pcap file " + path + ": " + errno_text());
    if (size < 24) throw std::runtime_error(path + ": not a pcap file (shorter than the 24-byte header)");
    std::uint32_t magic;
    std::memcpy(&magic, data_.data(), 4);
    if (magic == magic_us || magic == magic_ns)
        swapped_ = false;
    else if (magic == __builtin_bswap32(magic_us) || magic == __builtin_bswap32(magic_ns))
        swapped_ = true;
    else if (magic == 0x0a0d0d0a)
        throw std::runtime_error(path + ": pcapng is not supported; convert with 'editcap -F pcap'");
    else
        throw std::runtime_error(path + ": not a pcap file (bad magic number)");
    const std::uint32_t link = le32(data_.data() + 20, swapped_) & 0x0fffffff;
    if (link != linktype_ethernet)
        throw std::runtime_error(path + ": link type " + std::to_string(link) + " is not Ethernet (1)");
}

bool pcap_reader::next(frame& out) {
    if (pos_ == data_.size()) return false;
    if (data_.size() - pos_ < 16)
        throw std::runtime_error(path_ + ": frame header at byte " + std::to_string(pos_) +
                                 " runs past the end of the file");
    const std::uint32_t incl = le32(data_.data() + pos_ + 8, swapped_);
    const std::uint32_t orig = le32(data_.data() + pos_ + 12, swapped_);
    if (data_.size() - pos_ - 16 < incl)
        throw std::runtime_error(path_ + ": frame at byte " + std::to_string(pos_) + " claims " +
                                 std::to_string(incl) + " bytes, past the end of the file");
    out.data = {data_.data() + pos_ + 16, incl};
    out.original_length = orig;
    pos_ += 16 + incl;
    ++frames_;
    return true;
}

} // namespace shardgate::tools
