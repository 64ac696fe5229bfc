#pragma once
/// An A/B switch for measuring a change to the data path on a host whose
/// speed drifts by tens of per cent between runs (README, Performance). Put
/// the change behind `if (perf_knob())` at its site, build with
/// `-Dperf_knob=true`, and run `shardgate-dpdkbench --ab`: it flips the knob
/// in 50 ms slices (off, on, on, off, ...) while one process routes, so both
/// variants share the host's drift. With no site at all, B/A came out at
/// 0.996-1.024 in 10 s runs of the one-CPU layout, where whole runs taken in
/// turns differ by up to 30 % and hid any change under about 10 %.
///
/// Built without the option (the default, and every build meant to be
/// used), perf_knob() is a constant false and the site compiles to the code
/// without the change; no site stays in a commit.

#include <atomic>

namespace shardgate {

#ifdef SHARDGATE_PERF_KNOB
/// Set by the benchmark's measuring thread, read by the data path.
extern std::atomic<bool> perf_knob_state;
[[nodiscard]] inline bool perf_knob() noexcept { return perf_knob_state.load(std::memory_order_relaxed); }
inline constexpr bool perf_knob_built = true;
#else
[[nodiscard]] constexpr bool perf_knob() noexcept { return false; }
inline constexpr bool perf_knob_built = false;
#endif

} // namespace shardgate
