#pragma once
/// In-process sources and sinks: a source that replays datagrams held in
/// memory (tests, benchmarks, pcap-free replays) and a sink that hands each
/// block to a consumer callback (embedding shardgate in a process).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/pipeline/sink.hpp"
#include "dataplane/pipeline/source.hpp"

namespace shardgate {

/// Replays a list of datagrams (each one rx_chunk), `rounds` times (0 =
/// forever), handing at most `per_poll` per poll. Each chunk is copied once
/// at construction into padded storage (rx_padding bytes after each).
class memory_source final : public source {
public:
    memory_source(std::string name, std::vector<std::vector<std::byte>> datagrams, source_partition partition,
                  std::uint64_t rounds = 1, std::size_t per_poll = 32, bool lossless = false);

    std::size_t poll(std::span<rx_chunk> out, counter_block& counters) noexcept override;
    void release(std::span<const rx_chunk> chunks) noexcept override;
    [[nodiscard]] bool lossless() const noexcept override { return lossless_; }
    [[nodiscard]] bool finished() const noexcept override;
    void stop() noexcept override { stopped_ = true; }
    [[nodiscard]] std::string_view name() const noexcept override { return name_; }

    /// Chunks handed out and not yet released.
    [[nodiscard]] std::size_t outstanding() const noexcept { return outstanding_; }

private:
    std::string name_;
    std::vector<std::byte> storage_;
    std::vector<std::pair<std::size_t, std::uint32_t>> spans_; ///< offset, length per datagram
    source_partition partition_;
    std::uint64_t rounds_, round_ = 0;
    std::size_t next_ = 0, per_poll_;
    std::size_t outstanding_ = 0;
    bool lossless_;
    bool stopped_ = false;
};

/// Hands every block to `consume(partition, bytes, records)` on the egress
/// thread, then gives it back. With `capacity_blocks` > 0 it accepts at most
/// that many blocks per poll, to model a slow consumer.
class callback_sink final : public sink {
public:
    using consumer =
        std::function<void(std::uint32_t partition, std::span<const std::byte> bytes, std::uint32_t records)>;
    callback_sink(std::uint32_t partition, consumer consume, std::size_t capacity_blocks = 0);

    bool submit(const tx_block& block, counter_block& counters) noexcept override;
    std::size_t poll(counter_block& counters) noexcept override;
    [[nodiscard]] bool idle() const noexcept override { return true; }
    [[nodiscard]] std::string_view name() const noexcept override { return name_; }

private:
    std::uint32_t partition_;
    consumer consume_;
    std::size_t capacity_, taken_ = 0;
    std::string name_;
};

} // namespace shardgate
