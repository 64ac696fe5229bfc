#pragma once
/// The planner's error: a query that parses but cannot be planned (an
/// explicit strategy that would break it, a bad annotation or property
/// value, an unknown stream qualifier). what() names the place
/// ("line L:C: ...") when there is one.

#include <stdexcept>
#include <string>

#include "control/sql/parse_error.hpp"

namespace shardgate::control {

class plan_error : public std::runtime_error {
public:
    explicit plan_error(const std::string& message) : std::runtime_error(message) {}
    /// "line L:C: message".
    plan_error(sql::position where, const std::string& message)
        : std::runtime_error("line " + std::to_string(where.line) + ":" + std::to_string(where.column) +
                             ": " + message) {}
};

} // namespace shardgate::control
