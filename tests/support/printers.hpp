#pragma once
// Boost.Test printers for shardgate's strong types, so failed checks show values.
#include <ostream>

#include "shardgate/ids.hpp"

namespace shardgate {
template <typename T, typename Tag>
std::ostream& operator<<(std::ostream& os, named_type<T, Tag> v) {
    return os << v.value();
}
} // namespace shardgate
