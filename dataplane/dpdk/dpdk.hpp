#pragma once
/// DPDK ports as sources and sinks (docs/dpdk.md). This header includes no
/// DPDK header, so the runtime can use it without DPDK's compile flags; the
/// implementation is built only when meson finds libdpdk (SHARDGATE_HAVE_DPDK).
///
/// Calling protocol:
///
///     auto env = dpdk_environment::start(cfg.dpdk, egress_threads); // control thread, once per process
///     // each dataplane core, after pinning itself:
///     env->register_thread();
///     auto src = env->make_source(cfg.sources[i]);   // a (port, rx queue) only this core polls
///     // each egress thread e, after pinning itself:
///     env->register_thread();
///     auto out = env->make_sink(cfg.sinks[p], p, e);  // transmits on tx queue e of its port
///     ... run; sources and sinks are destroyed on their threads ...
///     env.reset();                                    // stops and closes ports, rte_eal_cleanup
///
/// The environment must outlive every source and sink made from it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/pipeline/sink.hpp"
#include "dataplane/pipeline/source.hpp"
#include "shardgate/config.hpp"

namespace shardgate {

/// One port as the environment set it up, and its ethdev statistics.
struct dpdk_port_stats {
    std::size_t index = 0;     ///< into dpdk_config.ports
    std::uint16_t port_id = 0; ///< DPDK's port id
    std::string device;        ///< as configured
    std::string driver;        ///< e.g. "net_pcap"
    std::string mac;           ///< the port's own MAC
    int socket = 0;            ///< NUMA socket of its memory pool
    bool link_up = false;
    std::uint32_t link_speed_mbps = 0;
    bool rss = false;                   ///< rx_queues > 1 and the device spreads flows by RSS
    bool ipv4_checksum_offload = false; ///< sinks leave the IPv4 header checksum to the NIC
    bool udp_checksum_offload = false;  ///< sinks leave the UDP checksum to the NIC (else 0: none)
    // rte_eth_stats
    std::uint64_t ipackets = 0, opackets = 0, ibytes = 0, obytes = 0;
    std::uint64_t imissed = 0; ///< frames the NIC dropped because no rx descriptor was free
    std::uint64_t ierrors = 0, oerrors = 0;
    std::uint64_t rx_nombuf = 0; ///< receives that found the mbuf pool empty
};

/// What one DPDK rx source skipped, by reason (frame_verdict in frame.hpp).
struct dpdk_rx_status {
    /// Frames received (every kind): datagrams + no_scratch + every skip reason below.
    std::uint64_t frames = 0;
    std::uint64_t datagrams = 0; ///< UDP datagrams handed to the core (empty ones included)
    /// Frames linearised into scratch (multi-segment; counted even if then
    /// skipped) and payloads moved there (too close to their buffer's end).
    std::uint64_t copied = 0;
    std::uint64_t no_scratch = 0; ///< frames skipped because the scratch area was full (drop_rx_no_buffer)
    std::uint64_t not_ip = 0, not_udp = 0, fragment = 0, wrong_port = 0; ///< counted as not_ipv4_udp
    std::uint64_t short_ethernet = 0, bad_ip_header = 0, bad_ip_length = 0, bad_ip_checksum = 0,
                  bad_udp_length = 0, bad_l4_checksum = 0; ///< counted as malformed_frame
    std::uint32_t held = 0;                                ///< mbufs held by chunks not yet released
    /// Adds another source's counts (held is a state, not a count: kept).
    dpdk_rx_status& operator+=(const dpdk_rx_status& o) noexcept;
};

/// What one DPDK tx sink did.
struct dpdk_tx_status {
    std::uint64_t frames_sent = 0;    ///< frames the tx queue accepted
    std::uint64_t frames_dropped = 0; ///< frames refused until the drain deadline (drop_tx)
    std::uint64_t no_mbuf = 0;        ///< submits refused because the mbuf pool was empty (retried by egress)
    std::uint64_t retries = 0;        ///< tx bursts that left some of its frames for later
    std::uint64_t frames_copied = 0;  ///< frames whose records were copied into an mbuf (not zero-copy)
    std::uint32_t blocks_bound = 0;   ///< lane blocks living in mbufs (sent without a copy)
    /// 1 when the pool could not spare an mbuf for each block of a lane this
    /// sink sends: it then binds no more lanes and copies their frames.
    /// Summed over sinks: how many were refused.
    std::uint32_t binding_refused = 0;
    std::uint32_t held = 0; ///< blocks waiting in the tx buffer
    /// Adds another sink's counts (held is a state, not a count: kept).
    dpdk_tx_status& operator+=(const dpdk_tx_status& o) noexcept;
};

class dpdk_environment {
public:
    /// Control thread, at most once per process (DPDK's EAL cannot start
    /// twice, not even after a cleanup). Starts the EAL with cfg.eal_args,
    /// adding `--file-prefix=shardgate-<pid>` unless a file prefix or
    /// `--no-shconf` is given, `--proc-type=primary`, `--lcores=0@(<allowed
    /// CPUs>)` unless an lcore option is given (the EAL then pins nothing:
    /// dataplane and egress threads are pinned by the router and register as
    /// lcores), and `--log-level=notice` unless a log level is given. Then for
    /// each [[dpdk.ports]] entry: probes the device (a vdev string or a PCI
    /// address), configures rx_queues/tx_queues (RSS when rx_queues > 1 and
    /// the device supports it), one mbuf pool per NUMA socket that has ports,
    /// starts the port and reads its link. `egress_threads` is how many egress
    /// threads may make sinks (sinks of egress thread e use tx queue e).
    /// `polled_rx_queues[i]`: how many of port i's rx queues a source will
    /// poll, for sizing the mbuf pool (empty: all of them).
    /// Throws std::runtime_error naming the failure and its remedy ("no
    /// hugepages: add \"--no-huge\", \"-m\", \"256\" to dpdk.eal_args, or
    /// reserve hugepages ...", "dpdk.ports[1]: device \"...\" did not probe:
    /// ..."), std::invalid_argument for a configuration it cannot run.
    static std::unique_ptr<dpdk_environment> start(const dpdk_config& cfg, std::size_t egress_threads,
                                                   std::vector<std::uint32_t> polled_rx_queues = {});

    virtual ~dpdk_environment() = default;
    dpdk_environment(const dpdk_environment&) = delete;
    dpdk_environment& operator=(const dpdk_environment&) = delete;

    /// On each dataplane and egress thread, after pinning it and before
    /// making its sources or sinks: registers the thread as a DPDK lcore
    /// (rte_thread_register) so mbuf pools use a per-thread cache. Idempotent.
    /// Throws std::runtime_error when DPDK has no lcore id left.
    virtual void register_thread() = 0;
    /// Optional, on a registered thread before it exits: returns its lcore id.
    virtual void unregister_thread() noexcept = 0;

    /// On the dataplane thread that will poll it: a source on the (port,
    /// queue) of cfg.dpdk_port/cfg.dpdk_queue (kind dpdk). Throws
    /// std::invalid_argument naming the source when the port or queue does
    /// not exist or another source already polls that queue.
    virtual std::unique_ptr<source> make_source(const source_config& cfg) = 0;

    /// On egress thread `egress_index`: partition `partition`'s sink (kind
    /// dpdk), sending to cfg.dpdk_mac / cfg.destination from the port's mac,
    /// ip and udp_port, on tx queue `egress_index` of port cfg.dpdk_port.
    /// Blocks must be at most payload_bytes long (the runtime sizes the lanes
    /// of dpdk sinks so). Throws std::invalid_argument naming the sink when
    /// the port lacks that tx queue ("tx_queues = 1 but egress thread 1 sends
    /// on it: set dpdk.ports[0].tx_queues >= 2"), an address is malformed, or
    /// the port has no source ip.
    virtual std::unique_ptr<sink> make_sink(const sink_config& cfg, std::uint32_t partition,
                                            std::size_t egress_index) = 0;

    /// Any thread: every port with its current ethdev statistics.
    [[nodiscard]] virtual std::vector<dpdk_port_stats> port_stats() const = 0;
    /// Any thread: one line per port, for the run summary, followed by
    /// what its destroyed sources (frames, datagrams, skips by reason) and
    /// sinks (frames sent, dropped, copied or zero-copy) did.
    [[nodiscard]] virtual std::string stats_text() const = 0;
    /// Things worth a warning found while starting (link down, no RSS).
    [[nodiscard]] virtual const std::vector<std::string>& warnings() const noexcept = 0;
    /// The DPDK port id of dpdk_config.ports[index] (tests inject and read
    /// frames through it). Throws std::out_of_range.
    [[nodiscard]] virtual std::uint16_t port_id(std::size_t index) const = 0;
    /// The EAL arguments used, the added ones included.
    [[nodiscard]] virtual const std::vector<std::string>& eal_arguments() const noexcept = 0;

protected:
    dpdk_environment() = default;
};

/// The skip counts of a source made by dpdk_environment::make_source; the
/// owning thread only. Throws std::invalid_argument for another source.
dpdk_rx_status dpdk_status(const source& s);
/// The status of a sink made by dpdk_environment::make_sink; the egress
/// thread only. Throws std::invalid_argument for another sink.
dpdk_tx_status dpdk_status(const sink& s);

/// Mbufs a port can hold at once outside the pool. The pool of a NUMA
/// socket must be larger than the total over its ports.
struct dpdk_mbufs_held_by {
    std::uint64_t descriptors = 0; ///< every descriptor of a NIC (virtual devices hold none)
    std::uint64_t sources = 0;     ///< chunks the sources of its rx queues keep out
    std::uint64_t tx_buffers = 0;  ///< frames buffered and fresh mbufs stashed per tx queue
    /// Frames sent into a virtual device's own rings and not yet taken out
    /// (net_ring: up to dpdk_mbufs_per_ring_queue per tx queue that sends).
    std::uint64_t in_flight = 0;
    [[nodiscard]] std::uint64_t total() const noexcept {
        return descriptors + sources + tx_buffers + in_flight;
    }
    dpdk_mbufs_held_by& operator+=(const dpdk_mbufs_held_by& o) noexcept {
        descriptors += o.descriptors;
        sources += o.sources;
        tx_buffers += o.tx_buffers;
        in_flight += o.in_flight;
        return *this;
    }
};

/// Mbufs one tx queue keeps out of the pool at most: the frames it buffers
/// for a burst and the fresh mbufs it takes from the pool in bulk.
std::uint64_t dpdk_mbufs_per_tx_queue() noexcept;

/// Frames one net_ring tx queue can hold: its rte_ring of 1024 slots keeps
/// 1023, whether or not anything receives from it.
std::uint64_t dpdk_mbufs_per_ring_queue() noexcept;

/// Mbufs the per-thread caches of one pool can hold at once: DPDK lets a
/// cache of `mbuf_cache` grow to 1.5x that before flushing it, and every
/// thread that takes or frees mbufs has its own.
std::uint64_t dpdk_mbufs_in_caches(std::uint32_t mbuf_cache, std::uint64_t threads) noexcept;

/// Chunks a source keeps out per rx queue: max_poll_chunks when its core
/// polls it, relay_depth when an egress thread relays it (`rx_on_egress`).
std::uint64_t dpdk_mbufs_per_polled_queue(bool rx_on_egress) noexcept;

/// What port `p` holds when sources poll `polled_queues` of its rx queues.
/// `egress_threads`: how many of its tx queues can send (the first ones);
/// only those buffer frames or hold fresh mbufs.
dpdk_mbufs_held_by dpdk_mbufs_held(const dpdk_port_config& p, std::uint32_t polled_queues, bool rx_on_egress,
                                   std::size_t egress_threads = SIZE_MAX);

/// What the mbuf pool of one NUMA socket must exceed: everything its ports
/// can hold at once, and the per-thread caches of every egress thread and of
/// a core per rx queue polled there.
struct dpdk_pool_need {
    dpdk_mbufs_held_by held;
    std::uint64_t threads = 0;        ///< threads with a cache in the pool
    std::uint64_t caches = 0;         ///< dpdk_mbufs_in_caches(mbuf_cache, threads)
    std::uint64_t rx_descriptors = 0; ///< of held.descriptors: the rx rings a start may fill
    [[nodiscard]] std::uint64_t total() const noexcept { return held.total() + caches; }
};

/// The need of `ports` (indices into cfg.ports) on one socket;
/// `polled_rx_queues[i]`: how many of port i's rx queues sources poll (all
/// when the vector is shorter).
dpdk_pool_need dpdk_pool_need_of(const dpdk_config& cfg, const std::vector<std::size_t>& ports,
                                 std::size_t egress_threads,
                                 const std::vector<std::uint32_t>& polled_rx_queues);

/// Empty when cfg.mempool_mbufs exceeds `need`; otherwise the error, with
/// every term of the sum and what to set. `ports` names the ports summed
/// ("the ports on NUMA socket 0").
std::string dpdk_pool_shortfall(const dpdk_config& cfg, const std::string& ports, const dpdk_pool_need& need);

/// Net drivers shardgate's tests and tools use (net_pcap, net_ring,
/// net_null, net_memif) that are not installed in DPDK's driver directory;
/// empty when all are. Any thread, before or after start().
std::vector<std::string> missing_dpdk_drivers();

/// True for a net driver ("net_pcap", as rte_eth_dev_info's driver_name)
/// that copies each received frame into its mbuf inside rte_eth_rx_burst,
/// on the polling thread: net_pcap, net_af_packet and net_tap. Their
/// sources' bytes are in cache when the core decodes them, so it does not
/// prefetch them (source::received_in_cache). False for every other driver:
/// a NIC's DMA, mbufs filled on another thread (net_ring), and net_memif,
/// which copies on receive only outside its zero-copy mode (the driver name
/// does not tell the modes apart). "In cache" is this CPU's L2: a burst of
/// 64 MTU-sized frames is more than its L1 holds.
[[nodiscard]] bool dpdk_driver_copies_on_receive(std::string_view driver) noexcept;

} // namespace shardgate
