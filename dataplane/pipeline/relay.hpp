#pragma once
/// A relayed source: polled on one thread (an egress thread with time to
/// spare), decoded on another (its dataplane core). The relaying thread polls
/// the real source and passes its chunks through a ring; the core takes them
/// from the relay's consumer side, a `source` like any other, and gives them
/// back through a second ring, which the relaying thread drains into the real
/// source's release(). The core is then left with decoding, routing and
/// packing: for a DPDK port that moves the receive burst, the frame parsing
/// and the buffer release (a fifth of a core's time in the DPDK benchmark)
/// off it.
///
/// Only lossy sources whose poll and release may run on a thread other than
/// the one that made them can be relayed (DPDK sources: any registered lcore;
/// not the io_uring ones, which belong to their core's ring).

#include <atomic>
#include <cstddef>
#include <memory>
#include <memory_resource>
#include <string>

#include "dataplane/pipeline/source.hpp"
#include "shardgate/counters.hpp"
#include "shardgate/spsc_ring.hpp"

namespace shardgate {

/// A relay's default depth: chunks in its ring, and the most it keeps out of
/// its source. Deep, so that the core rides out the relaying thread's pauses
/// (see dataplane/dpdk/rx_source.cpp for what the depth was worth).
inline constexpr std::size_t relay_depth = 1024;

class source_relay {
public:
    /// `capacity`: chunks the ring towards the core holds (a power of two ≥
    /// max_poll_chunks), and the most the relay keeps out of its source; the
    /// rings live in `mem`: the core's NUMA node, as its lanes (the core polls
    /// the ready ring all the time, the relaying thread fills it). Throws
    /// std::invalid_argument otherwise.
    explicit source_relay(std::size_t capacity = relay_depth,
                          std::pmr::memory_resource* mem = std::pmr::new_delete_resource());
    source_relay(const source_relay&) = delete;
    source_relay& operator=(const source_relay&) = delete;
    /// Detaches without counting: a relay is still attached here only when
    /// the egress thread that was to pump it failed to set up, which fails
    /// the run.
    ~source_relay();

    // --- relaying thread ----------------------------------------------------
    /// Takes the real source (made on this thread). Before the core starts
    /// polling the consumer side; the thread start between them orders it.
    /// Throws std::invalid_argument for a lossless source: it may still hand
    /// over records after an empty poll, which the stop protocol below
    /// (settled after the first empty poll) does not wait for.
    void attach(std::unique_ptr<source> real);
    [[nodiscard]] bool attached() const noexcept { return real_ != nullptr; }

    /// Gives the chunks the core is done with back to the real source, then
    /// polls it for as many chunks as the ring has room for. Counts what the
    /// real source counts (datagrams_in, skipped frames) in `counters`.
    /// Returns chunks moved either way (0 = nothing to do).
    std::size_t pump(counter_block& counters) noexcept;

    /// Once the core has stopped for good: releases what it gave back and
    /// what is still in the ring (chunks the core never took: only after a
    /// drain timeout, when the core gave up before the relay passed on its
    /// last ones), counting those as drop_shutdown_datagrams in `counters`,
    /// then destroys the real source. It takes over the ring's consumer side:
    /// the core's last poll must happen before it (the runtime's cores_done,
    /// or a join).
    void detach(counter_block& counters) noexcept;

    // --- the core -----------------------------------------------------------
    /// The core's side, for its worker (once, after attach). It must not
    /// outlive the relay.
    [[nodiscard]] std::unique_ptr<source> consumer();

private:
    class consumer_side;
    /// Relaying thread: hands what the core gave back to the real source.
    std::size_t give_back() noexcept;

    spsc_ring<rx_chunk> ready_;    ///< relaying thread → core
    spsc_ring<rx_chunk> returned_; ///< core → relaying thread
    std::unique_ptr<source> real_;
    std::string name_;
    std::size_t outstanding_ = 0; ///< relaying thread: chunks polled, not yet released
    bool stop_seen_ = false;      ///< relaying thread: real_->stop() was called
    /// Set by the core (stop()), seen by the relaying thread. Release and
    /// acquire only for good measure: the flag carries no data with it.
    std::atomic<bool> stop_requested_{false};
    /// Set by the relaying thread once, after stop, a poll of the real source
    /// came back empty: every chunk it will ever hand over is in the ring.
    std::atomic<bool> settled_{false};
    /// The real source's finished(), as last seen by the relaying thread
    /// (release: stored after the releases it reflects).
    std::atomic<bool> finished_{false};
};

} // namespace shardgate
