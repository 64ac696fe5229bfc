#pragma once
/// A flat open-addressing hash map from a compact key of 1..6 64-bit words to
/// one 64-bit value: the sink's per-key state lives in a few of these, so a
/// lookup is a hash and, usually, one slot holding tag, key and value
/// together: one cache miss on large tables (no per-entry allocation, no
/// pointer chasing).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace shardgate::tools {

class word_map {
public:
    static constexpr unsigned max_key_words = 6;

    /// Throws std::invalid_argument unless 1 <= key_words <= 6.
    explicit word_map(unsigned key_words, std::size_t initial_capacity = 1024)
        : w_(key_words), stride_(key_words + 2) {
        if (key_words == 0 || key_words > max_key_words)
            throw std::invalid_argument("word_map: key_words must be in [1, 6]");
        std::size_t cap = 16;
        while (cap < initial_capacity) cap <<= 1;
        reset(cap);
    }

    /// The value of `key`, inserting `init` when absent (`inserted` says
    /// which). The reference stays valid until the next insertion.
    /// Amortised O(1); allocates only when the table doubles.
    std::uint64_t& find_or_insert(const std::uint64_t* key, std::uint64_t init, bool& inserted) {
        if ((size_ + 1) * 10 > (mask_ + 1) * 7) grow(); // load <= 0.7: short linear probes
        const std::uint64_t h = hash(key);
        const std::uint64_t tag = h | 1;
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            std::uint64_t* slot = &slots_[i * stride_];
            if (slot[0] == 0) {
                slot[0] = tag;
                std::memcpy(slot + 1, key, w_ * sizeof(std::uint64_t));
                slot[1 + w_] = init;
                ++size_;
                inserted = true;
                return slot[1 + w_];
            }
            if (slot[0] == tag && std::memcmp(slot + 1, key, w_ * sizeof(std::uint64_t)) == 0) {
                inserted = false;
                return slot[1 + w_];
            }
        }
    }

    /// The value of `key`, or nullptr.
    [[nodiscard]] const std::uint64_t* find(const std::uint64_t* key) const noexcept {
        const std::uint64_t h = hash(key);
        const std::uint64_t tag = h | 1;
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const std::uint64_t* slot = &slots_[i * stride_];
            if (slot[0] == 0) return nullptr;
            if (slot[0] == tag && std::memcmp(slot + 1, key, w_ * sizeof(std::uint64_t)) == 0)
                return slot + 1 + w_;
        }
    }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] unsigned key_words() const noexcept { return w_; }

    /// f(const std::uint64_t* key, std::uint64_t value) for every entry, in
    /// table order.
    template <typename F>
    void for_each(F&& f) const {
        for (std::size_t i = 0; i <= mask_; ++i)
            if (slots_[i * stride_] != 0) f(&slots_[i * stride_ + 1], slots_[i * stride_ + 1 + w_]);
    }

private:
    // 128-bit multiply folded to 64 bits per word (as wyhash/rapidhash mix):
    // strong enough for keys built from symbols and counters, and ~1 ns.
    static std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
        const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
        return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
    }
    std::uint64_t hash(const std::uint64_t* key) const noexcept {
        std::uint64_t h = 0x243f6a8885a308d3ULL;
        for (unsigned i = 0; i < w_; ++i) h = mix(h ^ key[i], 0x9e3779b97f4a7c15ULL);
        return mix(h, 0xa0761d6478bd642fULL);
    }
    void reset(std::size_t cap) {
        mask_ = cap - 1;
        size_ = 0;
        slots_.assign(cap * stride_, 0);
    }
    void grow() {
        std::vector<std::uint64_t> old = std::move(slots_);
        reset((mask_ + 1) * 2);
        bool inserted = false;
        for (std::size_t i = 0; i < old.size(); i += stride_)
            if (old[i] != 0) find_or_insert(&old[i + 1], old[i + 1 + w_], inserted);
    }

    unsigned w_;
    unsigned stride_;
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
    /// Per slot: tag (0 = empty, else the hash with bit 0 set, so most
    /// mismatches cost one compare), key words, value; adjacent, so a hit
    /// usually touches one cache line.
    std::vector<std::uint64_t> slots_;
};

} // namespace shardgate::tools
