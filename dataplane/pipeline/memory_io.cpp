#include "dataplane/pipeline/memory_io.hpp"

#include <cstring>

namespace shardgate {

memory_source::memory_source(std::string name, std::vector<std::vector<std::byte>> datagrams,
                             source_partition partition, std::uint64_t rounds, std::size_t per_poll,
                             bool lossless)
    : name_(std::move(name)), partition_(partition), rounds_(rounds), per_poll_(per_poll ? per_poll : 1),
      lossless_(lossless) {
    std::size_t total = 0;
    for (const auto& d : datagrams) total += d.size() + rx_padding;
    storage_.resize(total);
    std::size_t at = 0;
    for (const auto& d : datagrams) {
        if (!d.empty()) std::memcpy(storage_.data() + at, d.data(), d.size());
        spans_.emplace_back(at, static_cast<std::uint32_t>(d.size()));
        at += d.size() + rx_padding;
    }
}

std::size_t memory_source::poll(std::span<rx_chunk> out, counter_block& counters) noexcept {
    std::size_t n = 0;
    const std::size_t limit = std::min(out.size(), per_poll_);
    while (n < limit && !spans_.empty() && !stopped_ && (rounds_ == 0 || round_ < rounds_)) {
        const auto [off, len] = spans_[next_];
        out[n++] =
            rx_chunk{storage_.data() + off, len, partition_, static_cast<std::uint32_t>(next_), chunk_none};
        if (++next_ == spans_.size()) {
            next_ = 0;
            ++round_;
        }
    }
    counters.add(counter::datagrams_in, n);
    outstanding_ += n;
    return n;
}

void memory_source::release(std::span<const rx_chunk> chunks) noexcept { outstanding_ -= chunks.size(); }

bool memory_source::finished() const noexcept {
    return outstanding_ == 0 && (stopped_ || spans_.empty() || (rounds_ != 0 && round_ >= rounds_));
}

callback_sink::callback_sink(std::uint32_t partition, consumer consume, std::size_t capacity_blocks)
    : partition_(partition), consume_(std::move(consume)), capacity_(capacity_blocks),
      name_("callback:" + std::to_string(partition)) {}

bool callback_sink::submit(const tx_block& b, counter_block& counters) noexcept {
    if (capacity_ && taken_ >= capacity_) return false;
    ++taken_;
    consume_(partition_, std::span(b.data, b.length), b.records);
    sent(b, counters);
    return true;
}

std::size_t callback_sink::poll(counter_block&) noexcept {
    taken_ = 0;
    return 0;
}

} // namespace shardgate
