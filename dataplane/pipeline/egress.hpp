#pragma once
/// An egress thread's loop: for each partition it owns, take the blocks every
/// dataplane core published to that partition's lanes and hand them to the
/// partition's sink, oldest first per core. A sink that cannot take a block
/// (busy, reconnecting) leaves it pending, and the lanes back up: that is
/// backpressure, never loss.

#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/pipeline/lane.hpp"
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
    explicit egress(std::vector<egress_partition> partitions, counter_block& counters);

    /// One loop iteration: offers published blocks to sinks, then polls every
    /// sink. Returns blocks handed over or completed (0 = idle). The owning
    /// thread only; no allocation.
    std::size_t poll() noexcept;

    /// True when no lane holds a published block, nothing is pending and
    /// every sink is idle. Exact once the dataplane cores have stopped.
    [[nodiscard]] bool idle() const noexcept;

    /// Shutdown: closes every sink (flushing what it still holds).
    void close() noexcept;

    /// Shutdown after the drain deadline passed (a destination that never
    /// came back): every block still pending or in a lane is given back and
    /// its records counted as `reason` in `counters`, then every sink is
    /// aborted (what it still holds is counted by the sink as drop_sink).
    /// Precondition: the dataplane cores have stopped.
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
};

} // namespace shardgate
