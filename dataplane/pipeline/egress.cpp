#include "dataplane/pipeline/egress.hpp"

#include <array>
#include <stdexcept>

namespace shardgate {

egress::egress(std::vector<egress_partition> partitions, counter_block& counters,
               std::vector<source_relay*> relays)
    : counters_(counters), relays_(std::move(relays)) {
    for (const source_relay* r : relays_)
        if (!r || !r->attached()) throw std::invalid_argument("an egress relay needs its source attached");
    parts_.reserve(partitions.size());
    for (auto& p : partitions) {
        if (!p.out) throw std::invalid_argument("an egress partition needs a sink");
        parts_.push_back(state{std::move(p.lanes), std::move(p.out), {}, false, 0});
    }
}

std::size_t egress::poll() noexcept {
    std::size_t work = 0;
    // Blocks taken from one lane per turn: enough to fill a sink's send slots,
    // few enough that one busy core does not starve the others.
    constexpr std::size_t per_turn = 16;
    for (const state& s : parts_)
        for (const lane* l : s.lanes) l->prefetch_published();
    for (state& s : parts_) {
        if (s.has_pending) {
            if (!s.out->submit(s.pending, counters_)) continue;
            s.has_pending = false;
            ++work;
        }
        const auto lanes = static_cast<std::uint32_t>(s.lanes.size());
        // Lane indices wrap by comparison: a division per lane per turn showed
        // in the egress loop's profile.
        std::uint32_t at = s.next_lane;
        for (std::uint32_t k = 0; k < lanes && !s.has_pending; ++k) {
            lane& l = *s.lanes[at];
            at = at + 1 == lanes ? 0 : at + 1;
            block_ref taken;
            // Take one at a time while the sink accepts, so a refusal leaves at
            // most one block pending and the rest stay in order in the lane.
            for (std::size_t t = 0; t < per_turn; ++t) {
                if (!l.take_one(taken)) break;
                const tx_block b{l.taken_data(taken.index), taken.length, taken.records, &l, taken.index};
                if (!s.out->submit(b, counters_)) {
                    s.pending = b;
                    s.has_pending = true;
                    break;
                }
                ++work;
            }
        }
        s.next_lane = s.next_lane + 1 >= lanes ? 0 : s.next_lane + 1;
    }
    for (state& s : parts_) work += s.out->poll(counters_);
    for (source_relay* r : relays_) work += r->pump(counters_);
    return work;
}

bool egress::idle() const noexcept {
    for (const state& s : parts_) {
        if (s.has_pending || !s.out->idle()) return false;
        for (const lane* l : s.lanes)
            if (l->published()) return false;
    }
    return true;
}

void egress::close() noexcept {
    for (state& s : parts_) s.out->close(counters_);
    for (source_relay* r : relays_) r->detach(counters_);
}

void egress::abandon(counter reason, counter_block& counters) noexcept {
    for (state& s : parts_) {
        if (s.has_pending) {
            counters.add(reason, s.pending.records);
            s.pending.owner->give_back(s.pending.index);
            s.has_pending = false;
        }
        for (lane* l : s.lanes) {
            block_ref b;
            while (l->take_one(b)) {
                counters.add(reason, b.records);
                l->give_back(b.index);
            }
        }
    }
    for (state& s : parts_) s.out->abort(counters_);
    for (source_relay* r : relays_) r->detach(counters_);
}

} // namespace shardgate
