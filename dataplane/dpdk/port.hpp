#pragma once
/// Internal to dataplane/dpdk: a configured port as the environment set it
/// up, its per-(port, tx queue) transmit buffers, and the makers of the rx
/// source and tx sink. Includes DPDK headers: only this folder's translation
/// units see it.

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dataplane/dpdk/dpdk.hpp"
#include "dataplane/dpdk/frame.hpp"

namespace shardgate::detail {

/// Where a lane block's records start in the mbuf it lives in (zero-copy
/// transmit, tx_sink.cpp): one whole cache line in, the frame's headers in
/// that line's last bytes.
constexpr std::uint32_t bound_block_offset = 64;

class dpdk_tx_sink;

/// Frames waiting for one transmit queue of one port, shared by the sinks of
/// one egress thread that send on that port (only that thread touches it).
/// Frames leave in bursts: when `burst` are buffered or when the oldest has
/// waited the drain deadline (DPDK l2fwd's tx buffer + BURST_TX_DRAIN_US).
/// A frame the queue refuses stays buffered and is offered again by later
/// flushes; once it is `retry_cycles` old it is dropped and counted.
class tx_queue {
public:
    static constexpr std::uint32_t capacity = 64;   ///< frames buffered at most (two bursts)
    static constexpr std::uint32_t burst = 32;      ///< flush as soon as this many are buffered
    static constexpr std::uint32_t stash_size = 32; ///< fresh mbufs taken from the pool at once

    tx_queue(std::uint16_t port, std::uint16_t queue, rte_mempool* pool, std::uint64_t drain_cycles,
             std::uint64_t retry_cycles) noexcept;
    ~tx_queue();
    tx_queue(const tx_queue&) = delete;
    tx_queue& operator=(const tx_queue&) = delete;

    /// An mbuf for one frame, from a small stash refilled in bulk (one pool
    /// access per 32 frames); nullptr when the pool is empty.
    rte_mbuf* alloc() noexcept;
    [[nodiscard]] rte_mempool* pool() const noexcept { return pool_; }
    [[nodiscard]] bool full() const noexcept { return count_ == capacity; }
    [[nodiscard]] std::uint32_t count() const noexcept { return count_; }
    /// A TSC reading to stamp frames with: read afresh when a batch starts
    /// (the queue is empty) or while the NIC refuses frames, else the
    /// batch's reading. rdtsc costs about 10 ns here, a quarter of a frame's
    /// whole cost, so not once per frame; a frame stamped with its batch's
    /// reading may look older than it is by at most the time its batch took
    /// to fill, which ends at the latest at the drain deadline.
    [[nodiscard]] std::uint64_t clock() noexcept {
        if (count_ == 0 || backlog_) stamp_ = rte_rdtsc();
        return stamp_;
    }
    /// Precondition: !full(). `counters` are the owner's egress's: the frame
    /// is counted there whichever of the queue's sinks flushes it (a
    /// dead-letter sink sharing the queue counts apart from the partitions').
    void push(rte_mbuf* m, dpdk_tx_sink* owner, const tx_block& b, std::uint64_t now,
              counter_block& counters) noexcept;
    /// The oldest buffered frame has waited the drain deadline.
    [[nodiscard]] bool due(std::uint64_t now) const noexcept {
        return count_ != 0 && now - oldest() >= drain_;
    }
    /// Offers every buffered frame to the NIC (rte_eth_tx_burst); completes
    /// what it accepted, drops what it refused once that is retry_cycles old
    /// (or everything refused when `give_up`), each in its owner's counters.
    /// Returns frames accepted.
    std::uint32_t flush(std::uint64_t now, bool give_up = false) noexcept;
    /// Drops `owner`'s frames, counted and their blocks given back, as lost
    /// (a sink destroyed without close()).
    void forget(dpdk_tx_sink* owner) noexcept;
    /// Whether `sink` is the one of the queue's sinks that checks the drain
    /// deadline when polled (the first to ask, until it is forgotten). The
    /// check reads the TSC, about 10 ns here; the egress thread polls every
    /// sink each turn, and all of them would read it for the same queue.
    [[nodiscard]] bool checks_deadline(const dpdk_tx_sink* sink) noexcept {
        if (deadline_checker_ == nullptr) deadline_checker_ = sink;
        return deadline_checker_ == sink;
    }

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] std::uint16_t queue() const noexcept { return queue_; }
    [[nodiscard]] std::uint64_t drain_cycles() const noexcept { return drain_; }
    [[nodiscard]] std::uint64_t retry_cycles() const noexcept { return retry_; }

private:
    struct entry {
        dpdk_tx_sink* owner;
        counter_block* counters; ///< the owner's egress's
        tx_block block;
        std::uint64_t pushed; ///< TSC when buffered
    };
    [[nodiscard]] std::uint64_t oldest() const noexcept { return entries_[0].pushed; }
    void remove_front(std::uint32_t n) noexcept;

    std::uint16_t port_, queue_;
    rte_mempool* pool_;
    std::uint64_t drain_, retry_;
    std::uint32_t count_ = 0;
    std::uint64_t stamp_ = 0;                        ///< see clock()
    bool backlog_ = false;                           ///< the last flush left refused frames buffered
    const dpdk_tx_sink* deadline_checker_ = nullptr; ///< see checks_deadline()
    std::array<rte_mbuf*, capacity> mbufs_{};        // contiguous: what rte_eth_tx_burst takes
    std::array<entry, capacity> entries_{};
    std::array<rte_mbuf*, stash_size> stash_{};
    std::uint32_t stashed_ = 0;
};

/// One configured port, set up and started by the environment.
struct dpdk_port {
    std::size_t index = 0; ///< into dpdk_config.ports
    std::uint16_t id = 0;  ///< DPDK port id
    dpdk_port_config cfg;
    std::string driver;
    rte_mempool* pool = nullptr; ///< the pool of the port's NUMA socket
    /// Mbufs of `pool` that lane blocks may still live in (shared by the
    /// ports of one socket; see reserve_bound).
    std::atomic<std::int64_t>* bindable = nullptr;
    int socket = 0;
    mac_address mac{}; ///< the port's own
    bool rss = false;
    /// The driver copies each frame into its mbuf inside rte_eth_rx_burst,
    /// on the polling thread (dpdk_driver_copies_on_receive).
    bool copies_on_receive = false;
    bool ipv4_checksum_offload = false;
    bool udp_checksum_offload = false;
    std::uint32_t max_payload = 0; ///< largest UDP payload a tx frame may carry (MTU and mbuf size)
    /// One flag per rx queue: a source polls it (at most one may).
    std::unique_ptr<std::atomic<bool>[]> rx_claimed;
    /// One per tx queue; tx queue e belongs to egress thread e.
    std::vector<std::unique_ptr<tx_queue>> tx;

    /// What the port's sources and sinks did, added as each is destroyed
    /// (on its own thread), for the environment's stats_text().
    std::mutex finished_mutex;
    dpdk_rx_status rx_finished;
    dpdk_tx_status tx_finished;
    std::vector<std::uint64_t> rx_queue_frames; ///< frames each rx queue's finished source received
    std::uint32_t sources_finished = 0, sinks_finished = 0;
    void finish(const dpdk_rx_status& s, std::uint16_t queue) noexcept;
    void finish(const dpdk_tx_status& s) noexcept;

    /// Any thread: takes `n` mbufs of the pool's spare for a lane's blocks
    /// to live in (zero-copy transmit), all or nothing; false when fewer are
    /// left. The spare is what the pool has beyond everything the ports,
    /// sources, transmit buffers and thread caches can hold (the
    /// environment's pool check), so bound blocks never starve reception.
    bool reserve_bound(std::uint32_t n) noexcept {
        std::int64_t left = bindable->load(std::memory_order_relaxed);
        do {
            if (left < n) return false;
        } while (!bindable->compare_exchange_weak(left, left - n, std::memory_order_relaxed));
        return true;
    }
    /// Gives back what reserve_bound took (the sink unbound its lane).
    void release_bound(std::uint32_t n) noexcept { bindable->fetch_add(n, std::memory_order_relaxed); }
};

/// Makes the source polling (port, cfg.dpdk_queue). `what` names it.
std::unique_ptr<source> make_rx_source(dpdk_port& port, const source_config& cfg, std::string what);

/// Makes partition `partition`'s sink on `queue` of `port`; `payload_bytes`
/// is dpdk_config.payload_bytes. Throws std::invalid_argument naming `what`.
std::unique_ptr<sink> make_tx_sink(dpdk_port& port, tx_queue& queue, const sink_config& cfg,
                                   std::uint32_t payload_bytes, std::string what);

} // namespace shardgate::detail
