#pragma once
/// Ethernet / IPv4 / IPv6 / UDP framing for the DPDK ports, without DPDK: the
/// receive side's parser (Ethernet → optional VLAN tags → IPv4 or IPv6 → UDP →
/// payload) and the transmit side's header template. Pure functions on byte
/// spans, so they are tested on crafted frames without an EAL.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace shardgate {

/// Why a received frame was taken or skipped. Every skip reason maps to one
/// of the dataplane counters not_ipv4_udp or malformed_frame (counter_of_skip).
enum class frame_verdict : std::uint8_t {
    udp = 0, ///< a UDP datagram: payload_offset/payload_length are set
    // --- not ours (counted as not_ipv4_udp) ---
    not_ip,     ///< another ethertype (ARP, LLDP, ...)
    not_udp,    ///< IPv4/IPv6 carrying another protocol (TCP, ICMP, ESP, ...)
    fragment,   ///< an IP fragment: reassembly is not done, the datagram is skipped
    wrong_port, ///< UDP to a destination port other than the source's filter
    // --- broken (counted as malformed_frame) ---
    short_ethernet,  ///< shorter than an Ethernet header (with its VLAN tags)
    bad_ip_header,   ///< IP version or IPv4 header length wrong, or the header is cut short
    bad_ip_length,   ///< IP total/payload length larger than the frame or smaller than its header
    bad_ip_checksum, ///< IPv4 header checksum wrong (software check or the NIC's verdict)
    bad_udp_length,  ///< UDP header cut short, or its length outside [8, IP payload]
    bad_l4_checksum, ///< the NIC reported a bad UDP checksum
};
inline constexpr std::size_t frame_verdict_count = 11;

[[nodiscard]] std::string_view to_string(frame_verdict v) noexcept;
/// True for the verdicts counted as malformed_frame (false: not_ipv4_udp or udp).
[[nodiscard]] constexpr bool is_malformed(frame_verdict v) noexcept {
    return v >= frame_verdict::short_ethernet;
}

struct parsed_frame {
    frame_verdict verdict = frame_verdict::short_ethernet;
    std::uint32_t payload_offset = 0; ///< from the frame's first byte
    std::uint32_t payload_length = 0; ///< UDP length - 8 (Ethernet padding excluded)
    std::uint16_t dst_port = 0;       ///< host order; set once the UDP header was read
    bool ipv6 = false;
};

/// What the NIC already checked (DPDK's RTE_MBUF_F_RX_*_CKSUM flags).
enum class nic_checksum : std::uint8_t { unknown, good, bad };

/// Parses one frame. Accepts Ethernet II with up to two 802.1Q/802.1ad tags,
/// then IPv4 (options skipped; header checksum verified in software unless
/// `ip` is good/bad) or IPv6 (hop-by-hop, routing and destination-options
/// extension headers walked), then UDP. `udp_port` (host order, 0 = any)
/// filters by destination port. The UDP checksum is not verified in
/// software (it would read every payload byte); `l4` = bad skips the frame.
/// Never reads outside `frame`. Cost: ≈ 10-20 ns for IPv4 with the software
/// header checksum.
[[nodiscard]] parsed_frame parse_frame(std::span<const std::byte> frame, std::uint16_t udp_port = 0,
                                       nic_checksum ip = nic_checksum::unknown,
                                       nic_checksum l4 = nic_checksum::unknown) noexcept;

/// One's-complement sum folded to 16 bits, as the Internet checksum wants
/// (RFC 1071): the checksum field is ~fold(sum of the header). `seed` adds a
/// partial sum (a pseudo-header).
[[nodiscard]] std::uint16_t internet_checksum(std::span<const std::byte> bytes,
                                              std::uint32_t seed = 0) noexcept;

/// Lengths of the headers a transmit frame carries.
inline constexpr std::uint32_t ethernet_header_bytes = 14;
inline constexpr std::uint32_t ipv4_header_bytes = 20;
inline constexpr std::uint32_t udp_header_bytes = 8;
inline constexpr std::uint32_t udp_frame_header_bytes =
    ethernet_header_bytes + ipv4_header_bytes + udp_header_bytes;
/// Shortest Ethernet frame without its FCS; shorter frames are zero-padded.
inline constexpr std::uint32_t min_ethernet_frame = 60;
/// Largest UDP payload one IPv4 datagram can carry.
inline constexpr std::uint32_t max_udp_payload = 65535 - ipv4_header_bytes - udp_header_bytes;

using mac_address = std::array<std::uint8_t, 6>;

/// Parses "aa:bb:cc:dd:ee:ff". Throws std::invalid_argument naming `what`,
/// the text seen and the form expected.
[[nodiscard]] mac_address parse_mac(std::string_view text, std::string_view what);
/// Parses a dotted IPv4 address into host order. Throws std::invalid_argument
/// naming `what`, the text seen and the form expected.
[[nodiscard]] std::uint32_t parse_ipv4(std::string_view text, std::string_view what);
[[nodiscard]] std::string to_string(const mac_address& mac);

/// The 42 header bytes of an Ethernet II / IPv4 (no options, DF set, TTL 64)
/// / UDP frame, built once per sink; `write` stamps them before a payload.
class udp_frame_template {
public:
    /// Addresses in host order.
    udp_frame_template(const mac_address& src_mac, const mac_address& dst_mac, std::uint32_t src_ip,
                       std::uint32_t dst_ip, std::uint16_t src_port, std::uint16_t dst_port) noexcept;

    /// Writes the headers for a `payload_length`-byte payload to `out`
    /// (udp_frame_header_bytes bytes): IPv4 total length, identification
    /// `ip_id`, UDP length. With `ip_checksum` the IPv4 header checksum is
    /// computed (from the template's precomputed sum); otherwise it is left 0 for the NIC.
    /// The UDP checksum is `udp_checksum` as given (0 = none, legal over IPv4,
    /// or the pseudo-header sum a NIC offload completes).
    /// Precondition: payload_length <= max_udp_payload.
    void write(std::byte* out, std::uint32_t payload_length, std::uint16_t ip_id, bool ip_checksum,
               std::uint16_t udp_checksum = 0) const noexcept;

    /// The IPv4 pseudo-header sum for a payload of this length (the value a
    /// UDP checksum offload expects in the checksum field), not complemented.
    [[nodiscard]] std::uint16_t pseudo_header_sum(std::uint32_t payload_length) const noexcept;

    [[nodiscard]] std::span<const std::byte, udp_frame_header_bytes> bytes() const noexcept {
        return header_;
    }

private:
    std::array<std::byte, udp_frame_header_bytes> header_{};
    std::uint32_t src_ip_, dst_ip_;
    std::uint16_t ip_sum_ = 0; ///< folded sum of the IPv4 header's fixed words
};

} // namespace shardgate
