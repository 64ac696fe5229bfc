#pragma once
/// What a polling thread (a dataplane core, an egress thread) does after a
/// loop iteration that found nothing to do.

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace shardgate {

/// After an empty poll: a short pause on the CPU (about a microsecond),
/// and after `spins` empty polls in a row a sleep of `sleep_us`, doubling
/// while idleness lasts (up to 1 ms).
///
/// The pause keeps an idle thread from re-reading, back to back, the ring
/// indices another thread is about to write: every such read pulls the line
/// away from its writer, which then waits for it (on a virtual machine a
/// cache line takes 45 to 550 ns between two vCPUs). The benchmark's
/// two-thread DPDK layout routes 3 to 5 % more records per second with it.
/// The sleep keeps an idle router from starving its neighbours on a shared
/// or small machine.
class idle_policy {
public:
    /// Pause instructions after one empty poll (x86 PAUSE: 10 to 140 cycles
    /// depending on the CPU).
    static constexpr unsigned relax_pauses = 128;

    idle_policy(std::uint32_t spins, std::uint32_t sleep_us)
        : spins_(spins), sleep_us_(sleep_us), next_(sleep_us) {}

    /// `work` is what the iteration did; `wait(us)` sleeps (or waits on the
    /// thread's io_uring) for `us` microseconds.
    template <typename Wait>
    void after(std::size_t work, Wait wait) noexcept {
        if (work) {
            idle_ = 0;
            next_ = sleep_us_;
            return;
        }
        relax();
        if (sleep_us_ == 0 || ++idle_ < spins_) return;
        idle_ = 0;
        wait(next_);
        // The longer a thread stays idle, the longer it sleeps (up to 1 ms):
        // an idle router costs next to nothing, and the first packet after a
        // quiet spell waits at most that long (io_uring waits end at once on
        // a completion anyway).
        next_ = std::min<std::uint32_t>(next_ * 2, std::max<std::uint32_t>(sleep_us_, max_sleep_us));
    }

    static void relax() noexcept {
        for (unsigned i = 0; i < relax_pauses; ++i) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#elif defined(__aarch64__)
            asm volatile("yield");
#endif
        }
    }

private:
    static constexpr std::uint32_t max_sleep_us = 1000;
    std::uint32_t spins_, sleep_us_, next_, idle_ = 0;
};

} // namespace shardgate
