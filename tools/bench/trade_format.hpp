#pragma once
/// The bundled "trade" record (docs/record-formats.md) as the router's
/// record_format, for the benchmarks and tests that build a dataplane in code
/// (the example configs declare the same layout in TOML). Fields: seq, source
/// (the source partition), symbol, trader_id, price.

#include "shardgate/format.hpp"

namespace shardgate::bench {

[[nodiscard]] inline record_format trade_format(format_kind kind = format_kind::fixed) {
    record_format f;
    f.kind = kind;
    f.source_partition_field = "source";
    f.sequence_field = "seq";
    switch (kind) {
    case format_kind::fixed:
        f.record_size = 40;
        f.fields = {{"seq", field_type::u64, 0, 8},
                    {"source", field_type::u32, 8, 4},
                    {"symbol", field_type::str, 12, 12},
                    {"trader_id", field_type::u64, 24, 8},
                    {"price", field_type::i64, 32, 8}};
        break;
    case format_kind::csv:
        f.fields = {{"seq", field_type::int64, 0, 0},
                    {"source", field_type::int64, 0, 0},
                    {"symbol", field_type::str, 0, 0},
                    {"trader_id", field_type::int64, 0, 0},
                    {"price", field_type::int64, 0, 0}};
        break;
    case format_kind::ndjson:
        break; // members need no declaration
    }
    return f;
}

} // namespace shardgate::bench
