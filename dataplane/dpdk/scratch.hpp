#pragma once
/// Scratch memory of a DPDK rx source, for payloads copied out of their mbufs
/// (multi-segment frames, payloads too close to their buffer's end).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/pipeline/source.hpp"

namespace shardgate {

/// Handed out in order, given back in any order. Space is reused from the
/// oldest allocation on, once it and all before it are back: a relay always
/// has chunks out, so "start over when nothing is out" would never come and
/// scratch would stay full.
class scratch_ring {
public:
    /// `bytes` of memory for at most `allocations` (a power of two) at once.
    scratch_ring(std::size_t bytes, std::uint32_t allocations)
        : mem_(bytes + 64), base_(align(mem_.data())), bytes_(bytes), entries_(allocations) {
        if (!std::has_single_bit(allocations))
            throw std::invalid_argument("scratch allocations must be a power of two, got " +
                                        std::to_string(allocations));
    }

    /// `n` bytes followed by rx_padding readable ones, cache-line aligned;
    /// nullptr when there is no room. `id` (< allocations) names the
    /// allocation for give_back.
    std::byte* take(std::size_t n, std::uint32_t& id) noexcept {
        const auto count = static_cast<std::uint32_t>(entries_.size());
        if (next_ - first_ == count) return nullptr;
        const std::size_t need = (n + rx_padding + 63) & ~std::size_t{63};
        const bool empty = first_ == next_;
        if (empty) head_ = 0;
        const std::size_t tail = empty ? 0 : entries_[first_ % count].begin;
        std::size_t at;
        if (empty || head_ > tail) { // in use: [tail, head_)
            if (head_ + need <= bytes_)
                at = head_;
            else if (need < tail) // wrap; strictly below, so head_ == tail never means full
                at = 0;
            else
                return nullptr;
        } else if (head_ + need < tail) { // in use: [tail, end) and [0, head_)
            at = head_;
        } else {
            return nullptr;
        }
        id = next_ % count;
        entries_[id] = {at, true};
        ++next_;
        head_ = at + need;
        return base_ + at;
    }

    void give_back(std::uint32_t id) noexcept {
        entries_[id].live = false;
        const auto count = static_cast<std::uint32_t>(entries_.size());
        while (first_ != next_ && !entries_[first_ % count].live) ++first_;
    }

    [[nodiscard]] bool empty() const noexcept { return first_ == next_; }
    /// The memory allocations come from: bytes() bytes from base().
    [[nodiscard]] const std::byte* base() const noexcept { return base_; }
    [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }

private:
    static std::byte* align(std::byte* p) noexcept {
        const auto a = reinterpret_cast<std::uintptr_t>(p);
        return p + (((a + 63) & ~std::uintptr_t{63}) - a);
    }

    struct entry {
        std::size_t begin = 0;
        bool live = false;
    };
    std::vector<std::byte> mem_; ///< bytes_ + 64, so that allocations start on cache lines
    std::byte* base_;
    std::size_t bytes_;
    std::vector<entry> entries_;
    std::uint32_t first_ = 0, next_ = 0; ///< oldest allocation not yet reclaimed, next one (ids: mod count)
    std::size_t head_ = 0;               ///< where the next allocation starts
};

} // namespace shardgate
