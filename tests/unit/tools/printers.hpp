#pragma once
// Boost.Test printers for the tools' enums, so failed checks show names.
#include <ostream>

#include "tools/common/generator.hpp"
#include "tools/common/pcap.hpp"
#include "tools/common/trade.hpp"
#include "tools/common/verifier.hpp"

namespace shardgate::tools {
inline std::ostream& operator<<(std::ostream& os, malformed_reason r) { return os << to_string(r); }
inline std::ostream& operator<<(std::ostream& os, record_format f) { return os << to_string(f); }
inline std::ostream& operator<<(std::ostream& os, violation_kind k) { return os << to_string(k); }
inline std::ostream& operator<<(std::ostream& os, frame_kind k) {
    return os << (k == frame_kind::udp ? "udp" : k == frame_kind::not_udp ? "not_udp" : "bad");
}
} // namespace shardgate::tools
