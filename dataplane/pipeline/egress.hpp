#pragma once
/// An egress thread's loop: for each partition it owns, take the blocks every
/// dataplane core published to that partition's lanes and hand them to the
/// partition's sink, oldest first per core. A sink that cannot take a block
/// (busy, reconnecting) leaves it pending, and the lanes back up: that is
/// backpressure, never loss. An egress thread may also relay sources for
/// dataplane cores (see relay.hpp): it polls them in the same loop.

#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/pipeline/lane.hpp"
#include "dataplane/pipeline/relay.hpp"
#include "dataplane/pipeline/sink.hpp"
#include "shardgate/counters.hpp"

namespace shardgate {

/// One partition as an egress thread sees it: the lanes into it (one per
/// dataplane core) and its sink.
struct egress_partition {
    std::vector<lane*> lanes;
    std::unique_ptr<sink> out;
};

class egress {
public:
    /// `relays`: sources this thread polls for dataplane cores, attached
    /// already; they must outlive the egress.
    explicit egress(std::vector<egress_partition> partitions, counter_block& counters,
                    std::vector<source_relay*> relays = {});

    /// One loop iteration: offers published blocks to sinks, polls every
    /// sink, then pumps the relays. Returns blocks handed over or completed
    /// plus chunks relayed (0 = idle). The owning thread only; no allocation.
    std::size_t poll() noexcept;

    /// True when no lane holds a published block, nothing is pending and
    /// every sink is idle. Exact once the dataplane cores have stopped.
    [[nodiscard]] bool idle() const noexcept;

    /// Shutdown, once the dataplane cores have stopped: closes every sink
    /// (flushing what it still holds) and detaches the relays, counting
    /// datagrams still in them (a core that gave up draining while the sinks
    /// did not) as drop_shutdown_datagrams in this egress's own counters.
    void close() noexcept;

    /// Shutdown after the drain deadline passed (a destination that never
    /// came back): every block still pending or in a lane is given back and
    /// its records counted as `reason` in `counters`, then every sink is
    /// aborted (what it still holds is counted by the sink as drop_sink).
    /// The relays are detached; datagrams still in them, which no core will
    /// take, are counted as drop_shutdown_datagrams in this egress's own
    /// counters, where their datagrams_in are. Precondition: the dataplane
    /// cores have stopped.
    void abandon(counter reason, counter_block& counters) noexcept;

    [[nodiscard]] std::size_t partitions() const noexcept { return parts_.size(); }
    [[nodiscard]] const sink& sink_at(std::size_t i) const noexcept { return *parts_[i].out; }

private:
    struct state {
        std::vector<lane*> lanes;
        std::unique_ptr<sink> out;
        tx_block pending{}; ///< taken from a lane, refused by the sink
        bool has_pending = false;
        std::uint32_t next_lane = 0; ///< round robin across cores
    };
    std::vector<state> parts_;
    counter_block& counters_;
    std::vector<source_relay*> relays_;
};

} // namespace shardgate
