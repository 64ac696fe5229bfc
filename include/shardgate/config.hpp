#pragma once
/// The router's configuration as the control plane hands it to the
/// dataplane: loaded from TOML (control/config/), validated there, immutable
/// afterwards. Every key, its description, default and bounds are declared
/// once, in control/config/schema.cpp; `shardgate check --keys` lists them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardgate/format.hpp"
#include "shardgate/hash.hpp"
#include "shardgate/ids.hpp"
#include "shardgate/plan.hpp"
#include "shardgate/strategy.hpp"

namespace shardgate {

/// A host and port, as written ("127.0.0.1:7000", "[::1]:7000",
/// "localhost:7000"). Resolved when the socket is made.
struct endpoint {
    std::string host;
    std::uint16_t port = 0;
    [[nodiscard]] std::string to_string() const {
        return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
    }
    friend bool operator==(const endpoint&, const endpoint&) = default;
};

enum class source_kind : std::uint8_t { udp, tcp, dpdk };

[[nodiscard]] constexpr std::string_view to_string(source_kind k) noexcept {
    switch (k) {
    case source_kind::udp: return "udp";
    case source_kind::tcp: return "tcp";
    case source_kind::dpdk: return "dpdk";
    }
    return "?";
}

struct source_config {
    std::string name;           ///< for logs and stats ("sources[0]" unless named)
    source_kind kind = source_kind::udp;
    endpoint bind;              ///< udp, tcp: where to listen
    std::uint32_t core = 0;     ///< index into router.dataplane_cpus: the core that owns this source
    std::optional<std::uint32_t> partition; ///< the source partition of every record, unless the format carries one
    std::string stream;         ///< the query's FROM source this feeds (joins); empty = the query's first source
    std::uint32_t buffers = 256;        ///< receive buffers (io_uring provided-buffer ring entries), power of two
    std::uint32_t buffer_bytes = 65536; ///< bytes per receive buffer (UDP: ≥ the largest datagram)
    // dpdk: which (port, queue) this source polls
    std::uint16_t dpdk_port = 0;
    std::uint16_t dpdk_queue = 0;
    std::uint16_t udp_port = 0; ///< dpdk: accept only UDP to this destination port (0 = any)
    friend bool operator==(const source_config&, const source_config&) = default;
};

enum class sink_kind : std::uint8_t { udp, tcp, file, null, dpdk };

[[nodiscard]] constexpr std::string_view to_string(sink_kind k) noexcept {
    switch (k) {
    case sink_kind::udp: return "udp";
    case sink_kind::tcp: return "tcp";
    case sink_kind::file: return "file";
    case sink_kind::null: return "null";
    case sink_kind::dpdk: return "dpdk";
    }
    return "?";
}

/// One partition's destination (or the dead-letter sink's).
struct sink_config {
    sink_kind kind = sink_kind::null;
    std::string uri;      ///< as written after template expansion: udp://h:p, tcp://h:p, file:///path, null, dpdk://port/mac/ip:udp_port
    endpoint destination; ///< udp, tcp, dpdk (ip and udp port)
    std::string path;     ///< file
    std::uint16_t dpdk_port = 0;   ///< dpdk: egress port
    std::string dpdk_mac;          ///< dpdk: destination MAC "aa:bb:cc:dd:ee:ff"
    friend bool operator==(const sink_config&, const sink_config&) = default;
};

/// What to do when a partition's ring is full.
enum class backpressure_policy : std::uint8_t {
    block, ///< lossless sources (TCP) stop reading until there is room; lossy ones (UDP, DPDK) drop and count
    drop,  ///< every source drops and counts
};

struct router_config {
    std::uint32_t partitions = 8;           ///< N
    std::vector<int> dataplane_cpus{0};     ///< one dataplane thread per entry, pinned to that CPU (-1 = not pinned)
    std::vector<int> egress_cpus{0};        ///< one egress thread per entry, pinned (-1 = not pinned)
    std::uint32_t burst_size = 256;         ///< records per route burst, ≤ max_burst
    std::uint32_t ring_blocks = 64;         ///< blocks per (core, partition) lane
    std::uint32_t stream_block_bytes = 65536; ///< block size for tcp/file/null sinks (udp: sinks.datagram_bytes)
    std::uint32_t drain_deadline_us = 100;  ///< a partially filled block leaves after at most this long
    std::uint32_t idle_sleep_us = 50;       ///< sleep after an idle spin (0 = busy poll only)
    std::uint32_t idle_spins = 256;         ///< empty polls before sleeping
    hash_function hash = hash_function::xxh3;
    std::uint64_t seed = 0;
    std::uint32_t key_groups = 4096;
    strategy_kind strategy = strategy_kind::automatic; ///< TOML partitioning_strategy
    partition_id fan_in_target{0};
    bool per_source_order = false;          ///< stateless queries: sticky_partition instead of round_robin
    std::uint32_t smart_sample_every = 64;
    backpressure_policy backpressure = backpressure_policy::block;
    std::uint32_t stats_interval_ms = 1000; ///< live stats line period (0 = none)
    std::string query_text;                 ///< the query (from query_file or query)
    std::string query_origin;               ///< the query file's path, or "inline"
    friend bool operator==(const router_config&, const router_config&) = default;
};

/// DPDK environment (issue: DPDK ports). Empty `eal_args` and no ports = DPDK unused.
struct dpdk_port_config {
    std::string device;        ///< PCI address or vdev string ("net_pcap0,rx_pcap=in.pcap")
    std::uint16_t rx_queues = 1;
    std::uint16_t tx_queues = 1;
    std::uint16_t rx_descriptors = 1024;
    std::uint16_t tx_descriptors = 1024;
    std::string mac;           ///< source MAC for frames we build ("" = the port's own)
    std::string ip;            ///< source IPv4 for frames we build
    std::uint16_t udp_port = 0; ///< source UDP port for frames we build
    friend bool operator==(const dpdk_port_config&, const dpdk_port_config&) = default;
};

struct dpdk_config {
    std::vector<std::string> eal_args; ///< extra EAL arguments ("--no-huge", "--no-pci", "-m", "256", ...)
    std::vector<dpdk_port_config> ports;
    std::uint32_t mempool_mbufs = 8191;
    std::uint32_t mbuf_cache = 256;
    std::uint32_t payload_bytes = 1472; ///< records per tx frame up to this payload
    std::uint32_t tx_drain_us = 100;
    /// dpdk sources are polled by an egress thread, which relays their
    /// datagrams to the source's core (dataplane/pipeline/relay.hpp)
    bool rx_on_egress = false;
    [[nodiscard]] bool used() const noexcept { return !ports.empty(); }
    friend bool operator==(const dpdk_config&, const dpdk_config&) = default;
};

struct config {
    std::string path; ///< the file it came from ("" when built in code)
    router_config router;
    record_format format;
    std::vector<source_config> sources;
    std::vector<sink_config> sinks;         ///< exactly router.partitions entries, sinks[p] for partition p
    std::uint32_t datagram_bytes = 1472;    ///< udp sinks: payload limit per datagram (whole records)
    std::optional<sink_config> dead_letter; ///< malformed records go here when set
    source_partitioning declared_source;    ///< upstream partitioning (smart_repartition)
    dpdk_config dpdk;
};

} // namespace shardgate
