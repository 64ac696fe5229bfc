#pragma once
/// NDJSON field extraction for record_decoder (simdjson on-demand). Kept in
/// its own translation unit: simdjson.h is large and only this file needs it.

#include <cstdint>
#include <memory>

#include "dataplane/decode/record_decoder.hpp"

namespace shardgate {

class ndjson_reader {
public:
    explicit ndjson_reader(record_decoder& owner);
    ~ndjson_reader();
    ndjson_reader(const ndjson_reader&) = delete;
    ndjson_reader& operator=(const ndjson_reader&) = delete;

    /// Reads record `i` (n bytes at p, with rx_padding readable bytes after
    /// the chunk it lies in) into the owner's field slots and the burst's
    /// metadata. False with `why` = syntax when it is not one JSON object.
    bool read(const std::byte* p, std::uint32_t n, std::uint32_t i, record_burst& b,
              reject_reason& why) noexcept;

private:
    struct impl;
    record_decoder& owner_;
    std::unique_ptr<impl> impl_;
};

} // namespace shardgate
