#pragma once
/// The partitioning strategies and their one name table. Names are matched
/// case-insensitively; an unknown name is an error listing the valid ones.

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shardgate {

enum class strategy_kind : std::uint8_t {
    always_hash,       ///< hash(canonical key of routing columns) → partition table
    smart_repartition, ///< source partition → partition when aligned, else always_hash
    round_robin,       ///< per-core counter cycling partitions (stateless queries)
    sticky_partition,  ///< source partition → partition by a balanced table
    fan_in,            ///< every record to one target partition
    automatic,         ///< "auto": chosen by query analysis
};

struct strategy_name {
    std::string_view name; ///< canonical name, also what `explain` prints
    strategy_kind kind;
    std::array<std::string_view, 2> aliases; ///< empty entries unused
};

/// The name table (ARCHITECTURE.md, "Strategies").
inline constexpr std::array<strategy_name, 6> strategy_names{{
    {"always_hash", strategy_kind::always_hash, {"hash", "alwayshash"}},
    {"smart_repartition", strategy_kind::smart_repartition, {"smart", ""}},
    {"round_robin", strategy_kind::round_robin, {"roundrobin", "rr"}},
    {"sticky_partition", strategy_kind::sticky_partition, {"sticky", ""}},
    {"fan_in", strategy_kind::fan_in, {"fanin", ""}},
    {"auto", strategy_kind::automatic, {"", ""}},
}};

[[nodiscard]] constexpr std::string_view to_string(strategy_kind k) noexcept {
    for (const auto& s : strategy_names)
        if (s.kind == k) return s.name;
    return "?";
}

namespace detail {
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}
} // namespace detail

/// Looks a strategy up by canonical name or alias, ignoring case and
/// surrounding blanks.
[[nodiscard]] constexpr std::optional<strategy_kind> find_strategy(std::string_view name) noexcept {
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.empty()) return std::nullopt;
    for (const auto& s : strategy_names) {
        if (detail::iequals(name, s.name)) return s.kind;
        for (auto alias : s.aliases)
            if (!alias.empty() && detail::iequals(name, alias)) return s.kind;
    }
    return std::nullopt;
}

/// "always_hash (hash, alwayshash), smart_repartition (smart), ..." for errors
/// and --help.
[[nodiscard]] inline std::string valid_strategy_names() {
    std::string out;
    for (const auto& s : strategy_names) {
        if (!out.empty()) out += ", ";
        out += s.name;
        std::string al;
        for (auto alias : s.aliases) {
            if (alias.empty()) continue;
            if (!al.empty()) al += ", ";
            al += alias;
        }
        if (!al.empty()) out += " (" + al + ")";
    }
    return out;
}

/// Like find_strategy, but an unknown name throws std::invalid_argument whose
/// message names what was seen and lists every valid name.
[[nodiscard]] inline strategy_kind parse_strategy(std::string_view name) {
    if (auto k = find_strategy(name)) return *k;
    throw std::invalid_argument("unknown partitioning strategy '" + std::string(name) +
                                "'; expected one of: " + valid_strategy_names());
}

} // namespace shardgate
