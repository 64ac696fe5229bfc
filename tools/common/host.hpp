#pragma once
/// What machine a benchmark ran on, for its first lines: the same code
/// measures differently from one host to the next (README, "Performance"),
/// so a run's output says which host it measured.

#include <string>
#include <string_view>

namespace shardgate::tools {

/// One line from /proc/cpuinfo's text: model name, vendor, family and model
/// of the first processor, how many processors are listed, and whether the
/// flags say a hypervisor runs it. "unknown CPU" parts where fields are
/// missing; never throws on odd text.
[[nodiscard]] std::string describe_cpu(std::string_view cpuinfo);

/// describe_cpu of this machine's /proc/cpuinfo ("unknown CPU (no
/// /proc/cpuinfo)" where it cannot be read).
[[nodiscard]] std::string host_cpu();

} // namespace shardgate::tools
