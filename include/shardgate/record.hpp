#pragma once
/// A record as the dataplane sees it: bytes it does not own, in a receive
/// buffer that outlives the burst.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shardgate {

/// Bytes of one record exactly as they arrived; forwarded byte for byte.
struct record_view {
    const std::byte* data = nullptr;
    std::uint32_t length = 0;

    [[nodiscard]] std::string_view text() const noexcept {
        return {reinterpret_cast<const char*>(data), length};
    }
};

/// Bytes of a routing key: either a slice of the record (a single raw string
/// column) or canonical key bytes in a burst's key arena.
struct key_ref {
    const std::byte* data = nullptr;
    std::uint32_t length = 0;
};

} // namespace shardgate
