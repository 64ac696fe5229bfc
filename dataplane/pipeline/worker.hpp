#pragma once
/// A dataplane core: polls its sources, decodes what they hand over a burst at
/// a time, routes each burst with one strategy dispatch, and scatters the
/// records into per-partition blocks of its lanes (flushed when full or when
/// the drain deadline passes). Records it cannot route go to the dead-letter
/// lane. Runs on one pinned thread; nothing here allocates, locks, throws or
/// logs after construction.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dataplane/decode/record_decoder.hpp"
#include "dataplane/pipeline/lane.hpp"
#include "dataplane/pipeline/source.hpp"
#include "dataplane/route/router.hpp"
#include "shardgate/burst.hpp"
#include "shardgate/config.hpp"
#include "shardgate/counters.hpp"

namespace shardgate {

struct worker_options {
    std::uint32_t burst_size = 256;            ///< records per route burst, 1..max_burst
    std::uint64_t drain_deadline_ns = 100'000; ///< a non-empty block leaves after at most this long
    backpressure_policy policy = backpressure_policy::block;
    bool line_framed = false; ///< text formats: each record leaves followed by '\n'
};

/// One input of a worker: a source and the decoder for its records (sources
/// feeding different sides of a join route by different keys).
struct worker_input {
    std::unique_ptr<source> src;
    record_decoder* decoder = nullptr;
};

class worker final : private reject_sink {
public:
    /// `lanes[p]` is this core's lane to partition p (size N); `dead_letter`
    /// may be null (rejects are then only counted). Throws
    /// std::invalid_argument on a bad option.
    worker(const worker_options& options, const routing_params& routing, std::vector<worker_input> inputs,
           std::vector<lane*> lanes, lane* dead_letter, counter_block& counters);

    /// One loop iteration at time `now_ns` (steady clock): polls sources,
    /// decodes, routes, scatters, flushes blocks whose deadline passed.
    /// Returns the records handled (0 = nothing to do). The owning thread only.
    std::size_t poll(std::uint64_t now_ns) noexcept;

    /// Asks every source to stop taking new work (see source::stop). Records
    /// already received are still handled by later polls.
    void stop_sources() noexcept;

    /// True after stop_sources() once nothing is held and every source is
    /// finished or came back empty since the last poll that did work.
    [[nodiscard]] bool drained() const noexcept;

    /// Publishes every non-empty block now (shutdown).
    void flush_all() noexcept;

    /// Records held because a lane was full (lossless backpressure): the core
    /// stops polling sources until egress frees a block.
    [[nodiscard]] bool blocked() const noexcept { return busy_ && scattering_; }

    /// Drops whatever is still held (shutdown after the drain timeout), and
    /// what the sources still have for this core (a relay's ring), counting
    /// it as drop_shutdown, and releases the chunks. Call stop_sources()
    /// first: a source still taking traffic would be emptied, up to a bound.
    void abandon() noexcept;

    [[nodiscard]] const router& routing() const noexcept { return router_; }

    /// True between bursts: nothing is held, a new plan may be applied.
    [[nodiscard]] bool between_bursts() const noexcept { return !busy_; }

    /// A plan built for this worker and not yet in force: its router, and
    /// the decoder of each input (their keys).
    struct program {
        router routing;
        std::vector<record_decoder*> decoders;
    };

    /// Builds `next` for this worker, input i decoded by `decoders[i]`. Any
    /// time, also while a burst is held: nothing changes until install().
    /// Allocates; throws std::invalid_argument for a plan this worker cannot
    /// run (another partition count, a decoder missing).
    [[nodiscard]] program prepare(const routing_params& next, std::vector<record_decoder*> decoders) const;

    /// Puts a prepared program in force from the next burst on (blocks
    /// already filled leave as they are). Precondition: between_bursts().
    /// Cannot fail, so a runtime can make every core switch or none.
    void install(program&& p) noexcept;

    /// prepare() and install() in one step, between bursts (throws
    /// std::logic_error otherwise). The owning thread; a control-path call.
    void reprogram(const routing_params& next, const std::vector<record_decoder*>& decoders);

private:
    struct open_block {
        std::byte* data = nullptr;   ///< the block's memory while open
        std::byte* cursor = nullptr; ///< where the next record goes (nullptr when not open)
        std::byte* end = nullptr;    ///< data + block_bytes (nullptr when not open)
        std::uint32_t index = 0;
        std::uint32_t records = 0;
        std::uint64_t opened_ns = 0;
        [[nodiscard]] bool open() const noexcept { return cursor != nullptr; }
        [[nodiscard]] std::size_t room() const noexcept { return static_cast<std::size_t>(end - cursor); }
        [[nodiscard]] std::uint32_t used() const noexcept {
            return static_cast<std::uint32_t>(cursor - data);
        }
    };

    /// The burst metadata the decoders must fill in for the current router.
    [[nodiscard]] std::uint8_t metadata_wanted() const noexcept;
    void reject(std::span<const std::byte> record, reject_reason why) noexcept override;
    void dead_letter(std::span<const std::byte> record, reject_reason why) noexcept;
    std::size_t advance() noexcept;
    bool scatter() noexcept;
    /// `Moves`: 0, or the copy size (32, 48, 64) that covers every record
    /// of fixed-size records, each `size` bytes (not read per record).
    template <bool Newline, std::uint32_t Moves>
    bool scatter_records(std::uint32_t size) noexcept;
    /// Room for `bytes` in lane p's open block (publishing a full one and
    /// opening the next); false when the lane has no free block.
    bool reserve(lane& l, open_block& b, std::uint32_t bytes) noexcept;
    /// Hands b to egress, visible at the next commit() (see
    /// lane::publish_deferred): poll(), flush_all() and abandon() end with one.
    void publish(lane& l, open_block& b) noexcept;
    void commit() noexcept;
    void flush_due() noexcept;
    /// The `n` chunks input `input` just handed over become the unit of work.
    void hold(std::size_t input, std::size_t n) noexcept;
    void release_chunks() noexcept;
    /// Decodes the chunks not decoded yet only to count their records
    /// (records_in, rejects) and returns how many were valid: all dropped.
    std::uint64_t drop_rest() noexcept;

    worker_options options_;
    router router_;
    std::vector<worker_input> inputs_;
    std::vector<lane*> lanes_;
    std::vector<lane*> uncommitted_; ///< lanes with published blocks egress cannot see yet
    std::vector<open_block> blocks_;
    lane* dead_letter_;
    open_block dead_block_;
    counter_block& counters_;

    // The current unit of work: chunks of one source's poll.
    static constexpr std::size_t max_chunks = max_poll_chunks;
    std::array<rx_chunk, max_chunks> chunks_{};
    std::size_t nchunks_ = 0, chunk_ = 0;
    std::uint32_t offset_ = 0;
    std::size_t input_ = 0;   ///< which input the chunks came from
    bool busy_ = false;       ///< chunks are held (being processed or blocked)
    bool prefetch_ = false;   ///< the held chunks' bytes are not in cache (source::received_in_cache)
    bool scattering_ = false; ///< burst_ is routed; scatter resumes at scatter_pos_
    std::uint32_t scatter_pos_ = 0;
    record_burst burst_;
    std::array<partition_id, max_burst> parts_{};

    std::size_t next_input_ = 0; ///< round-robin start among inputs
    std::uint64_t now_ = 0;
    std::uint64_t next_due_ = ~std::uint64_t{0}; ///< earliest deadline of an open block
    bool stopping_ = false;
    bool quiet_ = false; ///< the last poll after stop found nothing anywhere
};

} // namespace shardgate
