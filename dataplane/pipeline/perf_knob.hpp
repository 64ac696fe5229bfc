#pragma once
/// An A/B switch for measuring a change to the data path within one run,
/// where the host's drift between runs cannot reach the comparison
/// (docs/dpdk.md, "To measure a change to the data path"). Put the change
/// behind `if (perf_knob())`, read once per burst or poll rather than in the
/// innermost loop (the load and branch are part of what is measured), build
/// with `-Dperf_knob=true`, and run `shardgate-dpdkbench --ab`: it flips the
/// knob in 50 ms slices (off, on, on, off, ...) while one process routes.
///
/// Built without the option (the default, and every build meant to be
/// used), perf_knob() is a constant false and the site compiles to the code
/// without the change; no site stays in a commit.

#include <atomic>

namespace shardgate {

#ifdef SHARDGATE_PERF_KNOB
/// Set by the benchmark's measuring thread, read by the data path.
inline std::atomic<bool> perf_knob_state{false};
[[nodiscard]] inline bool perf_knob() noexcept { return perf_knob_state.load(std::memory_order_relaxed); }
inline void set_perf_knob(bool on) noexcept { perf_knob_state.store(on, std::memory_order_relaxed); }
inline constexpr bool perf_knob_built = true;
#else
[[nodiscard]] constexpr bool perf_knob() noexcept { return false; }
inline void set_perf_knob(bool /*on*/) noexcept {}
inline constexpr bool perf_knob_built = false;
#endif

} // namespace shardgate
