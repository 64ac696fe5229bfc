#include "dataplane/pipeline/relay.hpp"

#include <array>
#include <cassert>
#include <stdexcept>

namespace shardgate {
namespace {
/// Chunks moved per ring operation: what a core takes per poll.
constexpr std::size_t batch = max_poll_chunks;
} // namespace

/// What the core polls: the ring, and the flags the relaying thread sets.
class source_relay::consumer_side final : public source {
public:
    explicit consumer_side(source_relay& r) : r_(r) {}

    std::size_t poll(std::span<rx_chunk> out, counter_block&) noexcept override {
        return r_.ready_.dequeue_burst(out);
    }
    void release(std::span<const rx_chunk> chunks) noexcept override {
        // Never short: the relaying thread keeps at most the ring's capacity
        // of chunks out, and this ring is as large.
        [[maybe_unused]] const std::size_t n = r_.returned_.enqueue_burst(chunks);
        assert(n == chunks.size());
    }
    [[nodiscard]] bool lossless() const noexcept override { return false; }
    [[nodiscard]] bool finished() const noexcept override {
        return r_.finished_.load(std::memory_order_acquire) && r_.ready_.empty();
    }
    [[nodiscard]] bool settling() const noexcept override {
        // acquire: pairs with the release after the relaying thread's last
        // enqueue, so an empty ring read after it is really empty.
        return !r_.settled_.load(std::memory_order_acquire) || !r_.ready_.empty();
    }
    void stop() noexcept override { r_.stop_requested_.store(true, std::memory_order_release); }
    [[nodiscard]] std::string_view name() const noexcept override { return r_.name_; }

private:
    source_relay& r_;
};

source_relay::source_relay(std::size_t capacity, std::pmr::memory_resource* mem)
    : ready_(capacity, mem), returned_(capacity, mem) {
    if (capacity < batch)
        throw std::invalid_argument("a source relay needs room for at least " + std::to_string(batch) +
                                    " chunks, got " + std::to_string(capacity));
}

source_relay::~source_relay() {
    counter_block ignored;
    detach(ignored);
}

void source_relay::attach(std::unique_ptr<source> real) {
    if (!real) throw std::invalid_argument("a source relay needs a source");
    if (real_) throw std::logic_error("the source relay already has a source");
    if (real->lossless())
        throw std::invalid_argument("source '" + std::string(real->name()) +
                                    "' is lossless and cannot be relayed: only lossy ones (DPDK) can");
    name_ = std::string(real->name());
    real_ = std::move(real);
}

std::unique_ptr<source> source_relay::consumer() {
    if (!real_) throw std::logic_error("a source relay's consumer side needs its source attached first");
    return std::make_unique<consumer_side>(*this);
}

std::size_t source_relay::give_back() noexcept {
    std::array<rx_chunk, batch> chunks;
    std::size_t moved = 0;
    while (const std::size_t n = returned_.dequeue_burst(std::span(chunks))) {
        real_->release(std::span<const rx_chunk>(chunks.data(), n));
        outstanding_ -= n;
        moved += n;
    }
    return moved;
}

std::size_t source_relay::pump(counter_block& counters) noexcept {
    const std::size_t moved = give_back();
    if (!stop_seen_ && stop_requested_.load(std::memory_order_acquire)) [[unlikely]] {
        real_->stop();
        stop_seen_ = true;
    }
    if (settled_.load(std::memory_order_relaxed)) {
        if (moved) finished_.store(real_->finished(), std::memory_order_release);
        return moved;
    }
    // Chunks out (in the ring or with the core) stay within the ring's
    // capacity, so the core's releases always fit the return ring.
    const std::size_t room = ready_.room(std::min(batch, ready_.capacity() - outstanding_));
    std::size_t n = 0;
    if (room) {
        std::array<rx_chunk, batch> chunks;
        n = real_->poll(std::span(chunks.data(), room), counters);
        if (n) {
            (void)ready_.enqueue_burst(std::span<const rx_chunk>(chunks.data(), n));
            outstanding_ += n;
        }
    }
    // After stop, the first empty poll means the source has handed over all
    // it will: release, so the core sees these chunks in the ring.
    if (stop_seen_ && n == 0 && room) {
        settled_.store(true, std::memory_order_release);
        finished_.store(real_->finished(), std::memory_order_release);
    }
    return moved + n;
}

void source_relay::detach(counter_block& counters) noexcept {
    if (!real_) return;
    give_back();
    // Polled (their datagrams counted in) but never decoded: the core timed
    // out before they reached it. Counted, so the loss is not silent.
    std::array<rx_chunk, batch> chunks;
    while (const std::size_t n = ready_.dequeue_burst(std::span(chunks))) {
        counters.add(counter::drop_shutdown_datagrams, n);
        real_->release(std::span<const rx_chunk>(chunks.data(), n));
        outstanding_ -= n;
    }
    real_.reset();
}

} // namespace shardgate
