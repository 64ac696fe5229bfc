#pragma once
/// Record formats and framing, as configured (docs/record-formats.md). The
/// dataplane reads only the fields it routes by, the source partition and the
/// sequence/event-time fields; records are forwarded byte for byte.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shardgate {

enum class format_kind : std::uint8_t {
    fixed,  ///< records of one size, back to back; fields at byte offsets
    csv,    ///< one record per line, comma-separated named columns
    ndjson, ///< one JSON object per line, fields are top-level members
};

[[nodiscard]] constexpr std::string_view to_string(format_kind k) noexcept {
    switch (k) {
    case format_kind::fixed: return "fixed";
    case format_kind::csv: return "csv";
    case format_kind::ndjson: return "ndjson";
    }
    return "?";
}

/// Field types. Fixed layouts use the sized integers (little-endian) and
/// `str`; csv columns are `int` or `str`; ndjson fields are typed by their JSON
/// value and need no declaration.
enum class field_type : std::uint8_t { u8, u16, u32, u64, i32, i64, str, int64 };

[[nodiscard]] constexpr std::string_view to_string(field_type t) noexcept {
    switch (t) {
    case field_type::u8: return "u8";
    case field_type::u16: return "u16";
    case field_type::u32: return "u32";
    case field_type::u64: return "u64";
    case field_type::i32: return "i32";
    case field_type::i64: return "i64";
    case field_type::str: return "str";
    case field_type::int64: return "int";
    }
    return "?";
}

/// Bytes a fixed-layout integer field takes (0 for str and int64).
[[nodiscard]] constexpr std::uint32_t fixed_width(field_type t) noexcept {
    switch (t) {
    case field_type::u8: return 1;
    case field_type::u16: return 2;
    case field_type::u32:
    case field_type::i32: return 4;
    case field_type::u64:
    case field_type::i64: return 8;
    case field_type::str:
    case field_type::int64: return 0;
    }
    return 0;
}

struct field_spec {
    std::string name;
    field_type type = field_type::str;
    std::uint32_t offset = 0; ///< fixed only: byte offset in the record
    std::uint32_t size = 0;   ///< fixed only: bytes (str: declared size; trailing NULs are not part of the value)
    friend bool operator==(const field_spec&, const field_spec&) = default;
};

/// A configured record format. Validated by the config loader: fixed fields
/// lie inside record_size and do not overlap; names are unique.
struct record_format {
    format_kind kind = format_kind::fixed;
    std::uint32_t record_size = 0;           ///< fixed only
    std::vector<field_spec> fields;          ///< fixed: layout; csv: columns in order; ndjson: unused
    std::uint32_t max_record_bytes = 65536;  ///< larger records are malformed (oversized)
    std::string source_partition_field;      ///< field carrying the source partition; empty = from the source's config
    std::string sequence_field;              ///< optional; decoded into the burst for diagnostics
    std::string event_time_field;            ///< optional; decoded into the burst

    /// Index of the field called `name` (exact match), if declared.
    [[nodiscard]] std::optional<std::uint32_t> find_field(std::string_view name) const noexcept {
        for (std::uint32_t i = 0; i < fields.size(); ++i)
            if (fields[i].name == name) return i;
        return std::nullopt;
    }
    /// True when records are separated by '\n' (csv, ndjson).
    [[nodiscard]] bool line_framed() const noexcept { return kind != format_kind::fixed; }
    friend bool operator==(const record_format&, const record_format&) = default;
};

} // namespace shardgate
