#pragma once
/// A sink: where one partition's records leave the router (io_uring UDP/TCP,
/// file, DPDK tx, null, or an in-process consumer). Driven by the egress
/// thread that owns the partition.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <atomic>

#include "dataplane/pipeline/lane.hpp"
#include "shardgate/counters.hpp"

namespace shardgate {

/// The partition number sink factories get for the dead-letter sink (it
/// names itself "sinks.dead_letter" in messages).
inline constexpr std::uint32_t dead_letter_partition = ~std::uint32_t{0};

/// A block handed to a sink: whole records in output framing (fixed records
/// back to back; text records each ending in '\n'). The sink may keep it until
/// it is sent, then must call `owner->give_back(index)` on the egress thread.
struct tx_block {
    const std::byte* data = nullptr;
    std::uint32_t length = 0;
    std::uint32_t records = 0;
    lane* owner = nullptr;
    std::uint32_t index = 0;
};

class sink {
public:
    virtual ~sink() = default;

    /// Egress thread. Takes a block for sending; false when the sink cannot
    /// take more now (all its send slots busy, reconnecting): the block stays
    /// in its lane and egress offers it again later. Datagram sinks send one
    /// block as one datagram. On success or definitive failure the block is
    /// given back and counted (records_out/bytes_out, or drop_sink).
    virtual bool submit(const tx_block& block, counter_block& counters) noexcept = 0;

    /// Egress thread, once per loop: progresses sends, harvests completions,
    /// gives finished blocks back. Returns how many blocks completed. Sinks that
    /// share an io_uring harvest it in whichever poll comes first.
    virtual std::size_t poll(counter_block& counters) noexcept = 0;

    /// True when nothing is queued or in flight.
    [[nodiscard]] virtual bool idle() const noexcept = 0;

    /// Egress thread, at shutdown after the last block: flush and close.
    /// Blocks still pending are sent if possible within the drain deadline.
    virtual void close(counter_block& counters) noexcept { (void)counters; }

    /// Egress thread, at shutdown when the drain deadline has passed: stop at
    /// once. Every block the sink still holds is given back and counted as
    /// lost (drop_sink); no waiting for a destination that does not answer
    /// beyond what the kernel needs to return buffers. Default: close().
    virtual void abort(counter_block& counters) noexcept { close(counters); }

    [[nodiscard]] virtual std::string_view name() const noexcept = 0;

    /// Any thread (relaxed loads): what this sink delivered or lost.
    [[nodiscard]] std::uint64_t records_sent() const noexcept {
        return sent_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t records_dropped() const noexcept {
        return dropped_.load(std::memory_order_relaxed);
    }

protected:
    /// Egress thread: the block left (kernel, NIC or file accepted it). Counts
    /// and gives the block back to its lane.
    void sent(const tx_block& b, counter_block& counters) noexcept {
        counters.add(counter::records_out, b.records);
        counters.add(counter::bytes_out, b.length);
        bump(sent_, b.records);
        b.owner->give_back(b.index);
    }
    /// Egress thread: the block could not be delivered and will not be retried.
    void lost(const tx_block& b, counter_block& counters) noexcept {
        counters.add(counter::drop_sink, b.records);
        bump(dropped_, b.records);
        b.owner->give_back(b.index);
    }

private:
    // Single writer (the egress thread): load + store, no read-modify-write.
    static void bump(std::atomic<std::uint64_t>& v, std::uint64_t n) noexcept {
        v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::atomic<std::uint64_t> sent_{0};
    std::atomic<std::uint64_t> dropped_{0};
};

} // namespace shardgate
