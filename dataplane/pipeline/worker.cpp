#include "dataplane/pipeline/worker.hpp"

#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace shardgate {
namespace {
/// Dead-letter entries: a 4-byte little-endian length, a reason byte, then the
/// record's bytes as they arrived (docs/record-formats.md).
constexpr std::uint32_t dead_letter_header = 5;
} // namespace

worker::worker(const worker_options& options, const routing_params& routing, std::vector<worker_input> inputs,
               std::vector<lane*> lanes, lane* dead_letter, counter_block& counters)
    : options_(options), router_(routing), inputs_(std::move(inputs)), lanes_(std::move(lanes)),
      blocks_(lanes_.size()), dead_letter_(dead_letter), counters_(counters) {
    if (options_.burst_size == 0 || options_.burst_size > max_burst)
        throw std::invalid_argument("burst_size must be in [1, " + std::to_string(max_burst) + "], got " +
                                    std::to_string(options_.burst_size));
    if (lanes_.size() != routing.partitions)
        throw std::invalid_argument("a worker needs one lane per partition (" +
                                    std::to_string(routing.partitions) + "), got " +
                                    std::to_string(lanes_.size()));
    for (const auto& in : inputs_)
        if (!in.src || !in.decoder)
            throw std::invalid_argument("a worker input needs a source and a decoder");
    for (lane* l : lanes_)
        if (!l) throw std::invalid_argument("a worker lane is missing");
    uncommitted_.reserve(lanes_.size() + 1); // no allocation in publish
    for (auto& in : inputs_) in.decoder->set_metadata(metadata_wanted());
}

std::uint8_t worker::metadata_wanted() const noexcept {
    return static_cast<std::uint8_t>((router_.reads_source_partitions() ? metadata_source_partition : 0) |
                                     (router_.hashes_every_record() ? metadata_keys : 0));
}

void worker::reject(std::span<const std::byte> record, reject_reason why) noexcept {
    counters_.add(counter_of(why));
    counters_.add(counter::records_rejected);
    dead_letter(record, why);
}

void worker::dead_letter(std::span<const std::byte> record, reject_reason why) noexcept {
    if (!dead_letter_) return;
    const auto n = static_cast<std::uint32_t>(record.size());
    if (n + dead_letter_header > dead_letter_->block_bytes() ||
        !reserve(*dead_letter_, dead_block_, n + dead_letter_header)) {
        counters_.add(counter::dead_letter_dropped);
        return;
    }
    std::byte* p = dead_block_.cursor;
    for (int k = 0; k < 4; ++k) p[k] = static_cast<std::byte>(n >> (8 * k));
    p[4] = static_cast<std::byte>(why);
    if (n) std::memcpy(p + dead_letter_header, record.data(), n);
    dead_block_.cursor += n + dead_letter_header;
    ++dead_block_.records;
    counters_.add(counter::dead_lettered);
}

bool worker::reserve(lane& l, open_block& b, std::uint32_t bytes) noexcept {
    if (b.room() >= bytes) [[likely]]
        return true;
    if (b.open()) {
        // An empty block is as large as blocks get: the record fits none.
        if (b.records == 0) return false;
        publish(l, b);
    }
    if (!l.acquire(b.index)) [[unlikely]]
        return false;
    b.data = l.data(b.index);
    b.cursor = b.data;
    b.end = b.data + l.block_bytes();
    b.records = 0;
    b.opened_ns = now_;
    const std::uint64_t due = now_ + options_.drain_deadline_ns;
    if (due < next_due_) next_due_ = due;
    return b.room() >= bytes;
}

void worker::publish(lane& l, open_block& b) noexcept {
    // An open block without records stays open for the next record: giving
    // it back here would make this core a second producer on the lane's free
    // ring, which belongs to egress.
    if (!b.open() || b.records == 0) return;
    if (l.publish_deferred(block_ref{b.index, b.used(), b.records})) {
        // A lane that committed by itself may come back in the same poll:
        // a full list is committed first, never grown.
        if (uncommitted_.size() == uncommitted_.capacity()) commit();
        uncommitted_.push_back(&l);
    }
    b.cursor = b.end = nullptr;
}

void worker::commit() noexcept {
    for (lane* l : uncommitted_) l->commit();
    uncommitted_.clear();
}

namespace {
/// Copies a record of `n` bytes with fixed-size moves where it can: the
/// record is followed by readable bytes (rx_padding) and every block by
/// lane::slack, so copying up to 64 bytes past the record is safe.
/// `Moves` > 0: every record is at most that long (fixed-size records), so
/// the length is not tested.
template <std::uint32_t Moves>
inline void copy_record(std::byte* dst, const std::byte* src, std::uint32_t n) noexcept {
    if constexpr (Moves != 0) {
        std::memcpy(dst, src, Moves);
    } else if (n <= 32) {
        std::memcpy(dst, src, 32);
    } else if (n <= 48) {
        std::memcpy(dst, src, 48);
    } else if (n <= 64) {
        std::memcpy(dst, src, 64);
    } else {
        std::memcpy(dst, src, n);
    }
}
/// Places records [i, n) into their partitions' open blocks until one is
/// unroutable or its block has no room; returns where it stopped. Out of
/// line, and with no call in it but memcpy for records over 64 bytes, so
/// its state stays in registers (inside scatter_records, the calls of the
/// slow path forced it onto the stack).
template <bool Newline, std::uint32_t Moves, typename Block>
[[gnu::noinline]] std::uint32_t place_records(const partition_id* parts, const record_view* records,
                                              Block* blocks, std::uint32_t i, std::uint32_t n,
                                              std::uint32_t size) noexcept {
    for (; i < n; ++i) {
        const partition_id p = parts[i];
        if (p == invalid_partition) [[unlikely]]
            break;
        const std::byte* const src = records[i].data;
        Block& b = blocks[p.value()];
        const std::uint32_t length = Moves ? size : records[i].length;
        const std::uint32_t need = length + (Newline ? 1 : 0);
        if (b.room() < need) [[unlikely]]
            break;
        std::byte* const dst = b.cursor;
        copy_record<Moves>(dst, src, length);
        if constexpr (Newline) dst[length] = std::byte{'\n'};
        b.cursor = dst + need;
        ++b.records;
    }
    return i;
}
} // namespace

bool worker::scatter() noexcept {
    if (options_.line_framed) return scatter_records<true, 0>(0);
    // Fixed-size records: one copy size for the whole burst.
    const record_format& f = inputs_[input_].decoder->format();
    const std::uint32_t size = f.kind == format_kind::fixed ? f.record_size : 0;
    if (size == 0 || size > 64) return scatter_records<false, 0>(0);
    if (size <= 32) return scatter_records<false, 32>(size);
    if (size <= 48) return scatter_records<false, 48>(size);
    return scatter_records<false, 64>(size);
}

template <bool Newline, std::uint32_t Moves>
bool worker::scatter_records(std::uint32_t size) noexcept {
    const std::uint32_t n = burst_.size;
    // Locals, not members, in the loop: stores of record bytes may alias
    // anything, so members would be reloaded after every copy.
    const partition_id* const parts = parts_.data();
    const record_view* const records = burst_.records.data();
    open_block* const blocks = blocks_.data();
    // Routed = records looked at - dropped - rejected: no count per record.
    const std::uint32_t start = scatter_pos_;
    std::uint32_t dropped = 0, rejected = 0;
    const auto count = [&](std::uint32_t end) {
        counters_.add(counter::records_routed, end - start - dropped - rejected);
        counters_.add(counter::drop_ring_full, dropped);
        counters_.add(counter::records_rejected, rejected);
    };
    std::uint32_t i = scatter_pos_;
    while (true) {
        // The common case, a routed record with room in its block.
        i = place_records<Newline, Moves>(parts, records, blocks, i, n, size);
        if (i == n) break;
        // Record i is unroutable, or its block is full.
        const partition_id p = parts[i];
        const record_view r = records[i];
        if (p == invalid_partition) {
            // Counted by the router already (missing key, bad source partition).
            const reject_reason why = burst_.key_states[i] != key_status::ok
                                          ? reject_reason_of(burst_.key_states[i])
                                          : reject_reason::bad_source_partition;
            dead_letter(std::span(r.data, r.length), why);
            ++rejected;
            ++i;
            continue;
        }
        const std::uint32_t need = r.length + (Newline ? 1 : 0);
        lane& l = *lanes_[p.value()];
        if (need > l.block_bytes()) [[unlikely]] {
            // Larger than any block of its lane: no room will ever come for
            // it, and holding it would hold the source for good. The
            // runtime's decoders reject such records already (their
            // max_record_bytes fits the smallest block); a worker built
            // otherwise rejects them here.
            counters_.add(counter::malformed_oversized);
            dead_letter(std::span(r.data, r.length), reject_reason::oversized);
            ++rejected;
            ++i;
            continue;
        }
        if (reserve(l, blocks[p.value()], need)) continue; // place it in the fast loop
        if (options_.policy == backpressure_policy::block && inputs_[input_].src->lossless()) {
            // Hold the rest of the burst; sources stay unpolled until egress
            // gives blocks back, so TCP flow control holds the sender.
            scatter_pos_ = i;
            count(i);
            return false;
        }
        ++dropped;
        ++i;
    }
    count(n);
    scatter_pos_ = n;
    return true;
}

namespace {
/// Chunks in flight: the one being decoded and the next three, whose bytes
/// are asked into cache before they are decoded. A datagram's lines are
/// scattered in memory (one buffer each), where the hardware prefetcher
/// does not follow, and a relayed source's are in another CPU's cache.
/// Three ahead covers the ~0.6 us a line took to come from the far CPU of
/// the DPDK benchmark's host: there the relay layout routed 54-64 M
/// records/s with prefetching and 39-50 M without (10 alternating pairs of
/// 3 s runs). Not for a source whose driver has just written the bytes on
/// this CPU (source::received_in_cache, net_pcap in that benchmark): there
/// the prefetches only cost: 2-4 % of the one-thread layout (--ab).
constexpr std::size_t chunks_in_flight = 4;
/// Only a chunk's start: an MTU-sized datagram whole, and no more of a
/// stream's long chunks than the hardware prefetcher needs to pick it up.
constexpr std::uint32_t prefetch_bytes = 2048;

/// Every line holding one of the chunk's first prefetch_bytes bytes (a
/// payload rarely starts on a line: 42 bytes into a UDP/IPv4 frame).
void prefetch_chunk(const rx_chunk& c) noexcept {
    if (c.length == 0) return;
    const auto first = reinterpret_cast<std::uintptr_t>(c.data) & ~std::uintptr_t{63};
    const auto last = reinterpret_cast<std::uintptr_t>(c.data) + std::min(c.length, prefetch_bytes) - 1;
    for (std::uintptr_t line = first; line <= last; line += 64)
        __builtin_prefetch(reinterpret_cast<const void*>(line));
}
} // namespace

std::size_t worker::advance() noexcept {
    std::size_t handled = 0;
    worker_input& in = inputs_[input_];
    while (true) {
        if (scattering_) {
            if (!scatter()) return handled;
            handled += burst_.size;
            scattering_ = false;
            burst_.size = 0;
        }
        if (chunk_ == nchunks_) {
            release_chunks();
            return handled;
        }
        const bool used_up =
            in.decoder->decode(chunks_[chunk_], offset_, burst_, options_.burst_size, *this, counters_);
        if (used_up) {
            ++chunk_;
            offset_ = 0;
            if (prefetch_ && chunk_ + chunks_in_flight - 1 < nchunks_)
                prefetch_chunk(chunks_[chunk_ + chunks_in_flight - 1]);
        }
        // A chunk not used up means a full burst (by count, or by its strings).
        if (burst_.size > 0 && (!used_up || burst_.size == options_.burst_size || chunk_ == nchunks_)) {
            router_.route_burst(burst_, *in.decoder, parts_, counters_);
            scatter_pos_ = 0;
            scattering_ = true;
        }
    }
}

void worker::hold(std::size_t input, std::size_t n) noexcept {
    prefetch_ = !inputs_[input].src->received_in_cache();
    if (prefetch_)
        for (std::size_t c = 0; c < std::min<std::size_t>(n, chunks_in_flight); ++c)
            prefetch_chunk(chunks_[c]);
    input_ = input;
    nchunks_ = n;
    chunk_ = 0;
    offset_ = 0;
    busy_ = true;
}

void worker::release_chunks() noexcept {
    if (nchunks_) inputs_[input_].src->release(std::span<const rx_chunk>(chunks_.data(), nchunks_));
    nchunks_ = chunk_ = 0;
    offset_ = 0;
    busy_ = false;
}

std::size_t worker::poll(std::uint64_t now_ns) noexcept {
    now_ = now_ns;
    std::size_t handled = 0;
    bool polled_any = false;
    if (busy_) handled += advance();
    if (!busy_) {
        const std::size_t count = inputs_.size();
        for (std::size_t k = 0; k < count && !busy_; ++k) {
            const std::size_t i = (next_input_ + k) % count;
            const std::size_t n = inputs_[i].src->poll(chunks_, counters_);
            if (n == 0) continue;
            polled_any = true;
            hold(i, n);
            handled += advance();
        }
        next_input_ = count ? (next_input_ + 1) % count : 0;
    }
    if (now_ >= next_due_) flush_due();
    commit();
    if (stopping_) quiet_ = !busy_ && !polled_any && handled == 0;
    return handled;
}

void worker::flush_due() noexcept {
    next_due_ = ~std::uint64_t{0};
    auto check = [&](lane& l, open_block& b) {
        if (!b.open()) return;
        const std::uint64_t due = b.opened_ns + options_.drain_deadline_ns;
        if (due <= now_)
            publish(l, b);
        else if (due < next_due_)
            next_due_ = due;
    };
    for (std::size_t p = 0; p < lanes_.size(); ++p) check(*lanes_[p], blocks_[p]);
    if (dead_letter_) check(*dead_letter_, dead_block_);
}

void worker::flush_all() noexcept {
    for (std::size_t p = 0; p < lanes_.size(); ++p) publish(*lanes_[p], blocks_[p]);
    if (dead_letter_) publish(*dead_letter_, dead_block_);
    commit();
    next_due_ = ~std::uint64_t{0};
}

worker::program worker::prepare(const routing_params& next, std::vector<record_decoder*> decoders) const {
    if (decoders.size() != inputs_.size())
        throw std::invalid_argument("reprogram needs one decoder per input (" +
                                    std::to_string(inputs_.size()) + "), got " +
                                    std::to_string(decoders.size()));
    if (next.partitions != lanes_.size())
        throw std::invalid_argument("a new plan must keep the partition count (" +
                                    std::to_string(lanes_.size()) + "), got " +
                                    std::to_string(next.partitions));
    for (auto* d : decoders)
        if (!d) throw std::invalid_argument("reprogram: a decoder is missing");
    return program{router(next), std::move(decoders)};
}

void worker::install(program&& p) noexcept {
    static_assert(std::is_nothrow_move_assignable_v<router>, "install() must not fail half way");
    router_ = std::move(p.routing);
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        inputs_[i].decoder = p.decoders[i];
        inputs_[i].decoder->set_metadata(metadata_wanted());
    }
}

void worker::reprogram(const routing_params& next, const std::vector<record_decoder*>& decoders) {
    if (busy_) throw std::logic_error("a worker can only be reprogrammed between bursts");
    install(prepare(next, decoders));
}

void worker::stop_sources() noexcept {
    stopping_ = true;
    quiet_ = false;
    for (auto& in : inputs_) in.src->stop();
}

bool worker::drained() const noexcept {
    if (!stopping_ || busy_) return false;
    // A lossless source (TCP) is drained only when it says so: its last
    // receives may still complete after an empty poll. A lossy one is drained
    // once a poll finds nothing more and nothing is on its way (settling).
    for (const auto& in : inputs_)
        if (!in.src->finished() && (in.src->lossless() || !quiet_ || in.src->settling())) return false;
    return true;
}

void worker::abandon() noexcept {
    std::uint64_t held = 0;
    if (busy_ && scattering_) {
        // Valid records not yet placed are dropped; unroutable ones (their
        // reason counted by the router) are rejected, as scatter would have.
        std::uint64_t rejected = 0;
        for (std::uint32_t i = scatter_pos_; i < burst_.size; ++i) {
            const bool valid = parts_[i] != invalid_partition;
            held += valid;
            rejected += !valid;
        }
        counters_.add(counter::records_rejected, rejected);
        scattering_ = false;
        burst_.size = 0;
    }
    if (busy_) {
        counters_.add(counter::drop_shutdown, held + drop_rest());
        release_chunks();
    }
    // What sources received and still hold for this core (a relay's ring)
    // is dropped the same way, a bounded number of polls per source: they
    // were asked to stop, so only what came in before is left.
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        for (int k = 0; k < 4096; ++k) {
            const std::size_t n = inputs_[i].src->poll(chunks_, counters_);
            if (n == 0) break;
            hold(i, n);
            counters_.add(counter::drop_shutdown, drop_rest());
            release_chunks();
        }
    }
    commit(); // records rejected while counting may have filled dead-letter blocks
}

std::uint64_t worker::drop_rest() noexcept {
    // Chunks not decoded yet: decode them only to count their records in, and
    // as dropped, so in = out + dropped + malformed still holds exactly.
    std::uint64_t held = 0;
    record_decoder& d = *inputs_[input_].decoder;
    while (chunk_ < nchunks_) {
        if (d.decode(chunks_[chunk_], offset_, burst_, options_.burst_size, *this, counters_)) {
            ++chunk_;
            offset_ = 0;
        }
        held += burst_.size;
        burst_.size = 0;
    }
    return held;
}

} // namespace shardgate
