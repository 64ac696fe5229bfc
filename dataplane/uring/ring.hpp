#pragma once
/// Internal to dataplane/uring: the concrete per-thread io_uring, the
/// interface its sources and sinks implement to receive completions, and a
/// provided-buffer ring. Everything here is used on the owning thread only.

#include <liburing.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/uring/uring.hpp"

namespace shardgate::detail {

/// Implemented by every source and sink that submits to a uring_ring.
class completion_handler {
public:
    /// Owning thread, from uring_ring::poll(): one completion of an operation
    /// this handler submitted with `tag`. Must only record what happened (the
    /// handler's own poll acts on it): no submission, no counting.
    virtual void on_completion(std::uint64_t tag, std::int32_t res, std::uint32_t flags) noexcept = 0;

protected:
    ~completion_handler() = default;
};

class uring_ring final : public uring_context {
public:
    /// user_data layout: the handler's id in the top 16 bits, its own tag in
    /// the low 48. Id 0 is reserved for completions nobody wants (cancels).
    static constexpr unsigned tag_bits = 48;
    static constexpr std::uint64_t tag_mask = (std::uint64_t{1} << tag_bits) - 1;

    /// Throws uring_unavailable / std::runtime_error (see make_uring_context).
    explicit uring_ring(const uring_options& options);
    uring_ring(const uring_ring&) = delete;
    uring_ring& operator=(const uring_ring&) = delete;
    /// Precondition: every handler detached (sources and sinks destroyed).
    ~uring_ring() override;

    std::size_t poll() noexcept override;
    bool wait(unsigned timeout_us) noexcept override;
    [[nodiscard]] uring_taskrun taskrun() const noexcept override { return taskrun_; }
    [[nodiscard]] std::uint64_t enters() const noexcept override { return enters_; }
    [[nodiscard]] std::uint64_t completions() const noexcept override { return completions_; }

    /// Setup: registers a handler; returns its id. Throws std::length_error
    /// beyond 65535 handlers.
    std::uint16_t attach(completion_handler& h);
    /// The handler will get no more completions (late ones are ignored).
    void detach(std::uint16_t id) noexcept;

    [[nodiscard]] static constexpr std::uint64_t user_data(std::uint16_t id, std::uint64_t tag) noexcept {
        return (std::uint64_t{id} << tag_bits) | (tag & tag_mask);
    }

    /// A submission queue entry, submitting what is queued first when the
    /// queue is full. nullptr only when the kernel refuses submissions
    /// (callers retry on their next poll).
    [[nodiscard]] io_uring_sqe* sqe() noexcept;
    /// Makes room for `n` submission entries in a row, submitting what is
    /// queued when there is not: the next `n` sqe() calls then do not submit
    /// (a linked chain stays whole). False when the queue cannot hold `n`.
    [[nodiscard]] bool reserve(unsigned n) noexcept;
    /// Prepares an asynchronous cancel of the operation with `user_data`
    /// (all of them, for multishot). The cancel's own completion is ignored;
    /// the cancelled operation completes with -ECANCELED (or its result).
    void cancel(std::uint64_t user_data) noexcept;
    /// A buffer group id not used yet on this ring.
    [[nodiscard]] std::uint16_t new_buffer_group() noexcept { return next_group_++; }
    [[nodiscard]] io_uring& raw() noexcept { return ring_; }

    /// Polls and waits (1 ms at a time) until done() or `limit` passed. For
    /// teardown paths only (close, destructors): it sleeps.
    template <typename Done>
    bool drive_until(Done done, std::chrono::milliseconds limit) noexcept {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            (void)poll();
            if (done()) return true;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            (void)wait(1000);
        }
    }

private:
    void enter() noexcept;

    io_uring ring_{};
    uring_taskrun taskrun_ = uring_taskrun::cooperative;
    std::vector<completion_handler*> handlers_; // index = id; [0] stays null
    std::uint16_t next_group_ = 0;
    std::uint64_t enters_ = 0;
    std::uint64_t completions_ = 0;
};

/// A provided-buffer ring (IORING_REGISTER_PBUF_RING): `count` buffers the
/// kernel picks from for receives with IOSQE_BUFFER_SELECT. Each buffer is
/// `bytes` long as the kernel sees it, starts `lead` bytes into a 64-byte
/// aligned slot and is followed by at least `trail` readable bytes (so a
/// payload at a known offset can be 64-byte aligned and decoders may read
/// rx_padding bytes past its end). Memory is mmap'ed here, on the owning
/// thread, and first touched by receives on it (the core's NUMA node).
class provided_buffers {
public:
    /// Throws std::invalid_argument unless count is a power of two in
    /// 1..32768, std::runtime_error (with `what` first) when the kernel
    /// refuses the ring.
    provided_buffers(uring_ring& ring, std::uint32_t count, std::uint32_t bytes, std::uint32_t lead,
                     std::uint32_t trail, const std::string& what);
    provided_buffers(const provided_buffers&) = delete;
    provided_buffers& operator=(const provided_buffers&) = delete;
    /// Precondition: no receive using the group is in flight.
    ~provided_buffers();

    [[nodiscard]] std::uint16_t group() const noexcept { return group_; }
    [[nodiscard]] std::uint32_t count() const noexcept { return count_; }
    /// Start of buffer `bid` as the kernel fills it.
    [[nodiscard]] std::byte* buffer(std::uint16_t bid) const noexcept {
        return memory_ + std::size_t{bid} * stride_ + lead_;
    }
    /// Buffers the kernel may still pick.
    [[nodiscard]] std::uint32_t available() const noexcept { return available_; }
    /// A completion carried buffer `bid` (IORING_CQE_F_BUFFER): it is ours now.
    void taken() noexcept { --available_; }
    /// Queues buffer `bid` for the kernel; visible after commit().
    void recycle(std::uint16_t bid) noexcept {
        io_uring_buf_ring_add(ring_buffers_, buffer(bid), bytes_, bid, static_cast<int>(count_ - 1),
                              static_cast<int>(pending_++));
    }
    /// Publishes the recycled buffers to the kernel (one release store).
    void commit() noexcept {
        if (pending_ == 0) return;
        io_uring_buf_ring_advance(ring_buffers_, static_cast<int>(pending_));
        available_ += pending_;
        pending_ = 0;
    }

private:
    uring_ring& ring_;
    std::uint32_t count_;
    std::uint32_t bytes_;
    std::uint32_t lead_;
    std::size_t stride_;
    std::uint16_t group_;
    io_uring_buf_ring* ring_buffers_ = nullptr;
    std::byte* memory_ = nullptr;
    std::size_t memory_bytes_ = 0;
    std::uint32_t available_ = 0;
    std::uint32_t pending_ = 0;
    bool registered_ = false;
};

} // namespace shardgate::detail
