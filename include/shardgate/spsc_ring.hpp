#pragma once
/// Bounded lock-free single-producer single-consumer ring with burst
/// enqueue/dequeue (after rigtorp's SPSCQueue and DPDK's rte_ring SP/SC).

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory_resource>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace shardgate {

/// One producer thread, one consumer thread. Capacity is a power of two;
/// every slot is usable. `*_burst` calls move as many items as fit (possibly 0)
/// and return that count: a partial burst is normal, not an error.
template <typename T>
class spsc_ring {
    static_assert(std::is_trivially_copyable_v<T>, "ring items are copied with memcpy");

public:
    /// Throws std::invalid_argument unless capacity is a power of two ≥ 2.
    /// Storage comes from `mem` (a NUMA-local resource on the producer's node,
    /// or the default heap).
    explicit spsc_ring(std::size_t capacity,
                       std::pmr::memory_resource* mem = std::pmr::new_delete_resource())
        : capacity_(check_capacity(capacity)), mask_(capacity - 1), mem_(mem),
          slots_(static_cast<T*>(mem->allocate(capacity * sizeof(T), alignof(T) > 64 ? alignof(T) : 64))) {}

    spsc_ring(const spsc_ring&) = delete;
    spsc_ring& operator=(const spsc_ring&) = delete;
    ~spsc_ring() { mem_->deallocate(slots_, capacity_ * sizeof(T), alignof(T) > 64 ? alignof(T) : 64); }

    /// Producer only. Copies up to items.size() items; returns how many.
    std::size_t enqueue_burst(std::span<const T> items) noexcept {
        const std::size_t n = room(items.size());
        if (n == 0) return 0;
        const std::uint64_t tail = tail_local_;
        copy_in(tail, items.data(), n);
        publish_tail(tail + n);
        return n;
    }

    /// Producer only. Free slots, up to `wanted`: at least what it returns can
    /// be enqueued now. The consumer's index is read only when the cached one
    /// shows less room than that.
    std::size_t room(std::size_t wanted) noexcept {
        const std::uint64_t tail = tail_local_;
        std::size_t free = capacity_ - static_cast<std::size_t>(tail - head_cache_);
        if (free < wanted) {
            // acquire: the consumer's release store of head_ happens after it
            // copied the slots out, so we may overwrite them.
            head_cache_ = head_.load(std::memory_order_acquire);
            free = capacity_ - static_cast<std::size_t>(tail - head_cache_);
        }
        return std::min(free, wanted);
    }

    /// Producer only. All or nothing: enqueues every item or none.
    bool enqueue_bulk(std::span<const T> items) noexcept {
        if (room(items.size()) < items.size()) return false;
        const std::uint64_t tail = tail_local_;
        if (!items.empty()) {
            copy_in(tail, items.data(), items.size());
            publish_tail(tail + items.size());
        }
        return true;
    }

    /// Producer only. One item, without the burst path's size arithmetic;
    /// false when the ring is full.
    bool try_push(const T& item) noexcept {
        if (!try_push_deferred(item)) return false;
        commit();
        return true;
    }

    /// Producer only. Like try_push, but the consumer sees the item only at
    /// the next commit() or publishing push: the shared tail line, which the
    /// consumer polls, is written once for a batch.
    bool try_push_deferred(const T& item) noexcept {
        const std::uint64_t tail = tail_local_;
        if (tail - head_cache_ == capacity_) {
            head_cache_ = head_.load(std::memory_order_acquire); // see room
            if (tail - head_cache_ == capacity_) return false;
        }
        std::memcpy(slots_ + (static_cast<std::size_t>(tail) & mask_), &item, sizeof(T));
        tail_local_ = tail + 1;
        return true;
    }
    /// Producer only. Makes every deferred push visible to the consumer. It
    /// writes the shared tail line even when nothing waits: callers that
    /// commit often keep their own count (lane::commit).
    void commit() noexcept { publish_tail(tail_local_); }

    /// Consumer only. One item; false when the ring is empty.
    bool try_pop(T& out) noexcept {
        const std::uint64_t head = head_local_;
        if (tail_cache_ == head) {
            tail_cache_ = tail_.load(std::memory_order_acquire); // see dequeue_burst
            if (tail_cache_ == head) return false;
        }
        std::memcpy(&out, slots_ + (static_cast<std::size_t>(head) & mask_), sizeof(T));
        publish_head(head + 1);
        return true;
    }

    /// Consumer only. Moves up to out.size() items into out; returns how many.
    std::size_t dequeue_burst(std::span<T> out) noexcept {
        const std::uint64_t head = head_local_;
        std::size_t avail = static_cast<std::size_t>(tail_cache_ - head);
        if (avail < out.size()) {
            // acquire: pairs with the producer's release of tail_, so the
            // slots below it are fully written.
            tail_cache_ = tail_.load(std::memory_order_acquire);
            avail = static_cast<std::size_t>(tail_cache_ - head);
        }
        const std::size_t n = std::min(avail, out.size());
        if (n == 0) return 0;
        const std::size_t at = static_cast<std::size_t>(head) & mask_;
        const std::size_t first = std::min(n, capacity_ - at);
        std::memcpy(out.data(), slots_ + at, first * sizeof(T));
        std::memcpy(out.data() + first, slots_, (n - first) * sizeof(T));
        publish_head(head + n);
        return n;
    }

    /// Consumer only. A hint, ahead of a dequeue: asks for the oldest slot's
    /// line when items are known to be there, else for the producer's index
    /// line (the dequeue reads it then). An empty ring's next slot is left
    /// alone: the producer is about to write it.
    void prefetch_consumer() const noexcept {
        if (tail_cache_ != head_local_)
            __builtin_prefetch(slots_ + (static_cast<std::size_t>(head_local_) & mask_));
        else
            __builtin_prefetch(&tail_);
    }

    /// Any thread; exact only when both sides are quiescent.
    [[nodiscard]] std::size_t size() const noexcept {
        return static_cast<std::size_t>(tail_.load(std::memory_order_acquire) -
                                        head_.load(std::memory_order_acquire));
    }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

private:
    static std::size_t check_capacity(std::size_t c) {
        if (c < 2 || !std::has_single_bit(c))
            throw std::invalid_argument("ring capacity must be a power of two >= 2, got " +
                                        std::to_string(c));
        return c;
    }
    void copy_in(std::uint64_t tail, const T* src, std::size_t n) noexcept {
        const std::size_t at = static_cast<std::size_t>(tail) & mask_;
        const std::size_t first = std::min(n, capacity_ - at);
        std::memcpy(slots_ + at, src, first * sizeof(T));
        std::memcpy(slots_, src + first, (n - first) * sizeof(T));
    }

    // Read-only after construction; shared by both sides without contention.
    const std::size_t capacity_;
    const std::size_t mask_;
    std::pmr::memory_resource* const mem_;
    T* const slots_;

    // release: publishes the slot contents before the new tail.
    void publish_tail(std::uint64_t t) noexcept {
        tail_local_ = t;
        tail_.store(t, std::memory_order_release);
    }
    // release: our reads of the slots happen before the producer reuses them.
    void publish_head(std::uint64_t h) noexcept {
        head_local_ = h;
        head_.store(h, std::memory_order_release);
    }

    // Indices count items ever moved (64-bit, never wrap in practice); the
    // slot is index & mask_. The shared indices each have a line of their
    // own, written by one side and read by the other; each side keeps its
    // own index and its copy of the other side's on a private line, so it
    // never reads a shared line for what it already knows. (Reading back
    // one's own shared index after the other side polled it is a miss on
    // AMD: the line has moved to the reader.)
    alignas(64) std::atomic<std::uint64_t> tail_{0}; ///< written by producer, read by consumer
    alignas(64) std::atomic<std::uint64_t> head_{0}; ///< written by consumer, read by producer
    alignas(64) std::uint64_t tail_local_ = 0;        ///< producer's own tail
    std::uint64_t head_cache_ = 0;                    ///< producer's copy of head_
    alignas(64) std::uint64_t head_local_ = 0;        ///< consumer's own head
    std::uint64_t tail_cache_ = 0;                    ///< consumer's copy of tail_
    alignas(64) char pad_[1]{};                       ///< keeps the next object off the consumer's line
};

} // namespace shardgate
