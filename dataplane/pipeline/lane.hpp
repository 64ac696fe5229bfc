#pragma once
/// A lane: the path of one partition's records from one dataplane core to the
/// egress thread that owns the partition. The core writes records, in their
/// output framing, into fixed-size blocks from the lane's pool; a full (or
/// timed-out) block goes through the `full` ring to egress, which hands it to
/// the partition's sink and, once the sink is done with it, returns it through
/// the `free` ring. No copy between staging and the sink, no allocation after
/// construction, and a bounded amount of memory per lane.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <span>
#include <vector>

#include "shardgate/spsc_ring.hpp"

namespace shardgate {

/// A block as it travels: which block of the lane, how many bytes and records
/// it holds. Trivially copyable: it is what the rings carry.
struct block_ref {
    std::uint32_t index = 0;
    std::uint32_t length = 0;
    std::uint32_t records = 0;
};

class lane {
public:
    /// `blocks` blocks of `block_bytes` bytes each, from `mem` (the producing
    /// core's NUMA node); what only the consumer reads (its copy of the
    /// slots, taken_data) from `consumer_mem` (the egress thread's node),
    /// `mem` when null. Throws std::invalid_argument when blocks == 0 or
    /// block_bytes == 0.
    lane(std::uint32_t blocks, std::uint32_t block_bytes,
         std::pmr::memory_resource* mem = std::pmr::new_delete_resource(),
         std::pmr::memory_resource* consumer_mem = nullptr);
    lane(const lane&) = delete;
    lane& operator=(const lane&) = delete;
    ~lane();

    [[nodiscard]] std::uint32_t block_bytes() const noexcept { return block_bytes_; }
    [[nodiscard]] std::uint32_t blocks() const noexcept { return blocks_; }
    /// Producer side: where block `index` is written (its memory since the
    /// consumer's last rebind).
    [[nodiscard]] std::byte* data(std::uint32_t index) const noexcept { return slots_[index].data; }
    /// Consumer side: the same, from the consumer's own copy. The producer
    /// reads the shared slot at every acquire, which moves its line to the
    /// producer's CPU; reading it back on the consumer's CPU was a miss per
    /// block, a quarter of an egress thread's time in the DPDK benchmark.
    [[nodiscard]] std::byte* taken_data(std::uint32_t index) const noexcept { return taken_[index].data; }
    /// The lane's own memory for a block (what data() is unless rebound).
    [[nodiscard]] std::byte* own_data(std::uint32_t index) const noexcept {
        return memory_ + std::size_t{index} * stride_;
    }
    /// Consumer side: the sink's handle for a rebound block (nullptr when not rebound).
    [[nodiscard]] void* handle(std::uint32_t index) const noexcept { return taken_[index].handle; }

    /// Consumer side: points block `index` at other memory of at least
    /// block_bytes() + slack writable bytes, with the sink's `handle` for it
    /// (a DPDK sink hands its NIC the buffer the core wrote the records into,
    /// then puts a fresh one behind the block). Only while the consumer holds
    /// the block (taken, not yet given back): give_back's release publishes
    /// the new memory to the producer, which reads it at its next acquire.
    void rebind(std::uint32_t index, std::byte* data, void* handle) noexcept {
        slots_[index] = slot{data, handle};
        taken_[index] = slot{data, handle};
    }
    /// Writable bytes after each block's block_bytes(): the producer may copy
    /// a small record with whole 64-byte moves without checking its length.
    static constexpr std::uint32_t slack = 64;

    // --- producer side: the dataplane core -------------------------------
    /// Takes a free block; false when every block is full or with egress
    /// (the lane is full: backpressure).
    ///
    /// Newest first: the blocks egress returned move onto a stack the
    /// producer owns, and the one returned last is used next. Its lines, its
    /// slot and the memory behind it (a DPDK sink's mbuf, put there when the
    /// block's last frame left) are still in cache; taking blocks in ring
    /// order instead reuses the one returned longest ago, which the traffic
    /// in between has pushed out to L3. The ring is read again only when the
    /// stack is empty: its tail is a line egress writes on another CPU, a
    /// miss at every read. One block is taken a turn early and its slot
    /// prefetched: egress wrote the slot (rebind) on its CPU too.
    bool acquire(std::uint32_t& index) noexcept {
        if (!has_next_ && !take_newest(next_)) {
            commit(); // egress must see every full block to give one back
            return false;
        }
        index = next_;
        has_next_ = take_newest(next_);
        if (has_next_) __builtin_prefetch(&slots_[next_]);
        free_held_.store(stacked_ + (has_next_ ? 1 : 0), std::memory_order_release);
        return true;
    }
    /// Hands a filled block to egress. Never fails: the ring holds every block.
    void publish(const block_ref& b) noexcept {
        (void)full_.try_push(b);
        deferred_ = 0; // the push published the deferred ones too
    }
    /// Hands a filled block to egress, visible at the next commit(): the
    /// ring's tail is a line egress polls, so every write of it is a miss
    /// that holds up the core's stores (a quarter of a block's time in the
    /// DPDK benchmark's two-thread layout). Commits by itself once a quarter
    /// of the lane's blocks wait, and acquire() commits before it reports
    /// the lane full, so no block waits for a commit while the core drops or
    /// holds records for want of one. Returns true when this block is the
    /// first to wait (the caller then owes the lane a commit()).
    bool publish_deferred(const block_ref& b) noexcept {
        (void)full_.try_push_deferred(b);
        if (++deferred_ >= commit_every_) {
            commit();
            return false;
        }
        return deferred_ == 1;
    }
    /// Makes the blocks publish_deferred() handed over visible to egress.
    void commit() noexcept {
        if (deferred_ == 0) return;
        full_.commit();
        deferred_ = 0;
    }

    // --- consumer side: the egress thread ---------------------------------
    /// Asks for the lines the next take reads (the ring's tail and its oldest
    /// slot, both written on the producer's CPU), so an egress thread can
    /// have them move for all its lanes at once instead of one after another.
    void prefetch_published() const noexcept { full_.prefetch_consumer(); }
    /// Up to out.size() published blocks, oldest first.
    std::size_t take(std::span<block_ref> out) noexcept { return full_.dequeue_burst(out); }
    /// The oldest published block; false when there is none.
    bool take_one(block_ref& out) noexcept { return full_.try_pop(out); }
    /// Returns a block the sink is done with. Never fails.
    void give_back(std::uint32_t index) noexcept { (void)free_.try_push(index); }

    /// Any thread; exact when both sides are quiescent: blocks waiting for
    /// egress, committed ones only (see publish_deferred).
    [[nodiscard]] std::size_t published() const noexcept { return full_.size(); }
    /// Any thread; exact when quiescent: every block is back in the pool.
    [[nodiscard]] bool all_free() const noexcept {
        // The producer stores free_held_ after taking blocks off the ring
        // (release): read it first (acquire), so a block moving from the
        // ring to the stack is not counted in both.
        const std::uint32_t held = free_held_.load(std::memory_order_acquire);
        return free_.size() + held == blocks_;
    }

private:
    std::uint32_t blocks_;
    std::uint32_t block_bytes_;
    std::size_t stride_; ///< block_bytes_ + slack, rounded up to 64 (each block starts on a cache line)
    std::pmr::memory_resource* mem_;
    std::pmr::memory_resource* consumer_mem_; ///< taken_'s memory
    std::byte* memory_;
    struct slot {
        std::byte* data;
        void* handle;
    };
    std::pmr::vector<slot> slots_; ///< per block: its memory and the sink's handle (see rebind)
    /// The consumer's own copy of slots_ (see taken_data), on lines of its own.
    slot* taken_;
    [[nodiscard]] std::size_t taken_bytes() const noexcept {
        return (std::size_t{blocks_} * sizeof(slot) + 63) / 64 * 64;
    }
    /// Producer only: pops the newest block, first moving what egress gave
    /// back onto the stack when it is empty.
    bool take_newest(std::uint32_t& index) noexcept {
        if (stacked_ == 0) stacked_ = static_cast<std::uint32_t>(free_.dequeue_burst(std::span(stack_)));
        if (stacked_ == 0) return false;
        index = stack_[--stacked_];
        return true;
    }

    // Producer-private, on a line of their own (egress reads the fields
    // above): free blocks taken off the ring (see acquire).
    alignas(64) std::pmr::vector<std::uint32_t> stack_; ///< newest on top
    std::uint32_t stacked_ = 0;
    std::uint32_t next_ = 0; ///< the block the next acquire returns, when has_next_
    bool has_next_ = false;
    std::atomic<std::uint32_t> free_held_{0}; ///< stacked_ + has_next_, for all_free()
    std::uint32_t deferred_ = 0;              ///< blocks published but not committed
    std::uint32_t commit_every_ = 1;          ///< blocks_ / 4, at least 1
    spsc_ring<block_ref> full_;               // core → egress
    spsc_ring<std::uint32_t> free_;           // egress → core
};

} // namespace shardgate
