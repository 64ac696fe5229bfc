#pragma once
/// What a polling thread (a dataplane core, an egress thread) does after a
/// loop iteration that found nothing to do.

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace shardgate {

/// After `spins` empty polls in a row a thread sleeps `sleep_us`, doubling
/// while idleness lasts (up to 1 ms): on a shared or small machine a
/// spinning core would starve its neighbours. A thread that is only waiting
/// for another to make room (a core holding a burst for a full lane, egress
/// holding frames a destination has not taken) first naps `sleep_us` at a
/// time, for up to a millisecond in all, and only then backs off like an
/// idle one: room usually comes within microseconds, and a millisecond's nap
/// right away would let the lanes run dry and the pipeline go stop-and-go
/// under sustained backpressure; a destination gone for good costs no more
/// than an idle router once that millisecond has passed. Shared by
/// `shardgate run`'s threads and the benchmarks that build their own loops.
///
/// A PAUSE loop after every empty poll (to keep an idle egress thread from
/// re-reading the lanes' ring indices back to back) was tried: 3 to 5 % more
/// records/s in the DPDK benchmark's two-thread layout, within this machine's
/// noise, for up to a millisecond of spinning before every sleep of an idle
/// router. Not kept.
class idle_policy {
public:
    idle_policy(std::uint32_t spins, std::uint32_t sleep_us)
        : spins_(spins), sleep_us_(sleep_us), next_(sleep_us) {}

    /// `work` is what the iteration did; `held`: the thread holds work it
    /// cannot pass on yet (see above); `wait(us)` sleeps (or waits on the
    /// thread's io_uring) for `us` microseconds.
    template <typename Wait>
    void after(std::size_t work, Wait wait, bool held = false) noexcept {
        if (work) {
            idle_ = 0;
            next_ = sleep_us_;
            held_slept_ = 0;
            return;
        }
        if (sleep_us_ == 0 || ++idle_ < spins_) return;
        idle_ = 0;
        if (held && held_slept_ < max_sleep_us) {
            held_slept_ += sleep_us_;
            next_ = sleep_us_;
            wait(sleep_us_);
            return;
        }
        wait(next_);
        // The longer a thread stays idle, the longer it sleeps (up to 1 ms):
        // an idle router costs next to nothing, and the first packet after a
        // quiet spell waits at most that long (io_uring waits end at once on
        // a completion anyway).
        next_ = std::min<std::uint32_t>(next_ * 2, std::max<std::uint32_t>(sleep_us_, max_sleep_us));
    }

private:
    static constexpr std::uint32_t max_sleep_us = 1000;
    std::uint32_t spins_, sleep_us_, next_, idle_ = 0;
    std::uint32_t held_slept_ = 0; ///< microseconds napped while held since the last work
};

} // namespace shardgate
