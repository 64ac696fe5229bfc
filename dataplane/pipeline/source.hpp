#pragma once
/// A source of records for a dataplane core: an io_uring UDP or TCP socket, a
/// DPDK (port, queue), a test feeder. The core polls its sources once per loop
/// iteration (one virtual call per poll, never per record) and decodes what
/// they hand over.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "shardgate/counters.hpp"
#include "shardgate/ids.hpp"

namespace shardgate {

/// Most chunks a dataplane core takes per poll (and holds at once when it
/// polls its sources itself).
inline constexpr std::size_t max_poll_chunks = 64;

/// Readable bytes every chunk's memory has after data + length, so that
/// decoders (simdjson) may read past the last record without a check.
inline constexpr std::size_t rx_padding = 64;

enum chunk_flags : std::uint8_t {
    chunk_none = 0,
    /// A stream source met a record longer than the format's max_record_bytes:
    /// this chunk is the first `length` bytes of it (the rest is discarded by
    /// the source). The decoder counts it once as oversized.
    chunk_oversized = 1,
};

/// Bytes of whole records, as received: one datagram (UDP, DPDK) or a run of
/// whole records reassembled from a stream (TCP). Fixed-size records are back
/// to back; text records are separated by '\n' (the last may lack it).
struct rx_chunk {
    const std::byte* data = nullptr;
    std::uint32_t length = 0;
    source_partition partition = unknown_source_partition; ///< the source's configured partition
    std::uint32_t cookie = 0; ///< the source's own (a buffer id); returned in release()
    std::uint8_t flags = chunk_none;
};

class source {
public:
    virtual ~source() = default;

    /// The owning core only. Harvests what arrived and appends up to
    /// out.size() chunks to `out`; returns how many. Never blocks. Counts
    /// receive anomalies (datagrams_in, drop_rx_no_buffer) in `counters`.
    /// The chunks stay valid until release().
    virtual std::size_t poll(std::span<rx_chunk> out, counter_block& counters) noexcept = 0;

    /// The owning core only. The chunks of a previous poll (all of them, in
    /// any order) are no longer needed: their records were copied out or
    /// dropped. Buffers go back to the kernel or NIC.
    virtual void release(std::span<const rx_chunk> chunks) noexcept = 0;

    /// True when records from this source must never be dropped for lack of
    /// ring space (TCP): the core keeps the chunk and stops polling this source
    /// until egress frees room, so the sender is held back by flow control.
    [[nodiscard]] virtual bool lossless() const noexcept = 0;

    /// True once the source will never produce more (a replay reached its end,
    /// every connection closed after `stop_accepting`). Live sockets: false.
    [[nodiscard]] virtual bool finished() const noexcept { return false; }

    /// After stop(): true while records received before it may still show up
    /// in a later poll although this one came back empty (a relayed source
    /// whose relaying thread has not caught up yet). The core waits for them
    /// before it counts a lossy source as drained.
    [[nodiscard]] virtual bool settling() const noexcept { return false; }

    /// True when the bytes of the chunks poll() hands over were written by
    /// the polling thread during that poll (a driver that copies each frame
    /// into its buffer as it receives it): they are in this CPU's cache, and
    /// the core does not prefetch them. False, the default: they come from a
    /// NIC's DMA, the kernel or another thread, and the core asks for the
    /// next chunks' lines while it decodes one.
    [[nodiscard]] virtual bool received_in_cache() const noexcept { return false; }

    /// Any time from the owning core: stop taking new work (close listening
    /// sockets, stop re-arming receives). Records already received are still
    /// handed over by poll().
    virtual void stop() noexcept {}

    [[nodiscard]] virtual std::string_view name() const noexcept = 0;
};

} // namespace shardgate
