#pragma once
/// Classic pcap files of Ethernet/IPv4/UDP frames, written and read by hand.
///
/// Hand-written rather than libpcap: the format is a 24-byte file header and
/// a 16-byte header per frame, so a writer and reader are a few dozen lines;
/// the tools then need no runtime library, the writer's bytes are fully
/// determined by our code (same flags, same file), and the reader walks a
/// buffer without a callback per packet. Both byte orders and both
/// timestamp resolutions (µs 0xa1b2c3d4, ns 0xa1b23c4d) are read; pcapng is not.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace shardgate::tools {

using mac_address = std::array<std::uint8_t, 6>;

using ipv6_address = std::array<std::uint8_t, 16>; ///< network order

/// Where the frames of a generated capture come from and go to: IPv4
/// addresses, or IPv6 ones when `ipv6` is set.
struct udp_endpoints {
    mac_address src_mac{0x02, 0, 0, 0, 0, 0x01};
    mac_address dst_mac{0x02, 0, 0, 0, 0, 0x02};
    std::uint32_t src_ip = 0x0a000001; ///< host order: 10.0.0.1
    std::uint32_t dst_ip = 0x0a000002; ///< host order: 10.0.0.2
    bool ipv6 = false;
    ipv6_address src_ip6{};
    ipv6_address dst_ip6{};
    std::uint16_t src_port = 40000;
    std::uint16_t dst_port = 9000;
};

/// Throws std::invalid_argument naming the text on a malformed address.
[[nodiscard]] mac_address parse_mac(std::string_view text);
[[nodiscard]] std::uint32_t parse_ipv4(std::string_view text);
[[nodiscard]] ipv6_address parse_ipv6(std::string_view text);
/// Sets the source and destination addresses of `e` from two IPv4 or two
/// IPv6 addresses (and e.ipv6 to match). Throws std::invalid_argument on a
/// malformed address or a mix of the two families.
void set_ip_addresses(udp_endpoints& e, std::string_view src, std::string_view dst);

/// Largest UDP payload an IPv4 frame carries (65535 - 20 - 8).
inline constexpr std::size_t max_udp_payload = 65507;

/// Appends an Ethernet II / IPv4 (no options, DF clear, TTL 64) / UDP frame
/// carrying `payload` to `out`, with correct IPv4 header and UDP checksums;
/// with e.ipv6 an Ethernet II / IPv6 (no extension headers, hop limit 64,
/// `ip_id` as the flow label) / UDP frame with its UDP checksum.
/// Precondition: payload.size() <= max_udp_payload.
void build_udp_frame(const udp_endpoints& e, std::uint16_t ip_id, std::string_view payload,
                     std::vector<char>& out);

/// Writes a pcap file (µs timestamps, linktype Ethernet). Throws
/// std::runtime_error with the path and errno text on I/O failure.
class pcap_writer {
public:
    explicit pcap_writer(const std::string& path);
    ~pcap_writer();
    pcap_writer(const pcap_writer&) = delete;
    pcap_writer& operator=(const pcap_writer&) = delete;

    /// One frame; `ts_ns` is its timestamp in nanoseconds since the epoch.
    void write_frame(std::string_view frame, std::uint64_t ts_ns);
    /// Flushes and closes; throws on a write error. Also run by the destructor
    /// (which swallows errors).
    void close();

private:
    std::string path_;
    std::FILE* f_ = nullptr;
    std::vector<char> buf_;
};

/// Outcome of parsing one captured frame.
enum class frame_kind : std::uint8_t {
    udp,     ///< an Ethernet/IPv4 or IPv6/UDP datagram; `payload` is set
    not_udp, ///< another protocol (ARP, TCP, ...): not ours, skipped
    bad,     ///< a malformed or inconsistent header; `what` says which
};

struct frame_info {
    frame_kind kind = frame_kind::bad;
    std::string_view payload;
    std::uint16_t dst_port = 0;
    const char* what = "";
};

/// Parses one frame (optionally one 802.1Q tag). Checks IPv4 header length,
/// total length, fragment bits, header checksum; the UDP length; the UDP
/// checksum when non-zero (IPv4) or always (IPv6) unless `check_checksums`
/// is false. Ethernet padding after the IP packet is ignored.
[[nodiscard]] frame_info parse_udp_frame(std::string_view frame, bool check_checksums = true) noexcept;

/// Reads a whole pcap file into memory and hands out its frames in order.
class pcap_reader {
public:
    /// Throws std::runtime_error naming the file and the problem (unreadable,
    /// not a pcap file, unsupported link type).
    explicit pcap_reader(const std::string& path);

    struct frame {
        std::string_view data;
        std::uint32_t original_length = 0; ///< > data.size() when the capture was cut
    };
    /// The next frame, or false at the end. Throws std::runtime_error naming
    /// the file and byte offset on a frame header that runs past the end.
    bool next(frame& out);
    [[nodiscard]] std::uint64_t frames() const noexcept { return frames_; }

private:
    std::string path_;
    std::vector<char> data_;
    std::size_t pos_ = 24;
    bool swapped_ = false;
    std::uint64_t frames_ = 0;
};

} // namespace shardgate::tools
