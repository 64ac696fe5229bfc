#pragma once
/// The bundled "trade" record (docs/record-formats.md) as the bundled tools see
/// it: one struct, and encoders/decoders for the fixed, csv and ndjson forms.
///
/// This code is deliberately independent of the dataplane's decoders: the
/// verifying sink must not share the router's bugs. It links nothing of
/// shardgate but the header-only contract types.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardgate::tools {

enum class record_format : std::uint8_t { fixed, csv, ndjson };

[[nodiscard]] std::string_view to_string(record_format f) noexcept;
/// "fixed", "csv", "ndjson" (case-insensitive); nullopt otherwise.
[[nodiscard]] std::optional<record_format> find_format(std::string_view name) noexcept;

/// Size of the fixed form.
inline constexpr std::size_t fixed_record_size = 40;
/// Bytes of the symbol field; a symbol has 1..12 printable ASCII characters.
inline constexpr std::size_t symbol_capacity = 12;
/// Upper bound of any valid encoded record, newline included, per format
/// (every integer at its widest).
[[nodiscard]] std::size_t max_valid_record_size(record_format f) noexcept;

/// The columns of the trade record, in csv order.
enum class trade_field : std::uint8_t { seq, source, symbol, trader_id, price };
inline constexpr std::array<std::string_view, 5> trade_field_names{"seq", "source", "symbol", "trader_id",
                                                                   "price"};
[[nodiscard]] std::optional<trade_field> find_trade_field(std::string_view name) noexcept;

/// One trade. `symbol` is NUL-padded, so the 12 bytes identify the symbol.
struct trade {
    std::uint64_t seq = 0;
    std::uint32_t source = 0;
    std::array<char, symbol_capacity> symbol{};
    std::uint64_t trader_id = 0;
    std::int64_t price = 0;

    [[nodiscard]] std::string_view symbol_view() const noexcept;
    /// Precondition: 1 <= s.size() <= 12.
    void set_symbol(std::string_view s) noexcept;
    friend bool operator==(const trade&, const trade&) = default;
};

/// The price the generator gives a trade: a checksum of the other fields,
/// in [10000, 100000000) (1.0000 to 10000.0000 in 1e-4 units). The sink
/// recomputes it to detect records altered in transit.
[[nodiscard]] std::int64_t trade_price(std::uint64_t seq, std::uint32_t source,
                                       const std::array<char, symbol_capacity>& symbol,
                                       std::uint64_t trader_id) noexcept;

/// Why a record is malformed; `none` for a valid record.
enum class malformed_reason : std::uint8_t { none, truncated, syntax, missing_key, oversized };
inline constexpr std::size_t malformed_reason_count = 4; ///< excluding `none`
[[nodiscard]] std::string_view to_string(malformed_reason r) noexcept;

/// Writes the record's encoding to `out`, newline included for csv and ndjson.
/// Precondition: `out` has max_valid_record_size(f) bytes. Returns the bytes
/// written. No allocation.
std::size_t encode(record_format f, const trade& t, char* out) noexcept;

/// Result of decoding one record.
struct decode_result {
    malformed_reason reason = malformed_reason::none;
    const char* what = ""; ///< static text: which field and what was wrong
};

/// Decodes one framed record (csv/ndjson: without its newline). A record
/// longer than `max_record_bytes` is `oversized`; so is a symbol longer than
/// 12 bytes. Fixed: fewer than 40 bytes is `truncated`, a symbol that is not
/// 1..12 printable ASCII characters followed by NULs is `syntax`. csv: a
/// field wrapped in quotes has them stripped (`""` is a quote), an unclosed
/// quote, a non-integer or an extra column is `syntax`, fewer than five
/// columns or an empty symbol is `missing_key`. ndjson: any JSON error, a
/// non-object or a wrongly typed field is `syntax`, a missing (or null)
/// field is `missing_key`; unknown members are skipped. No allocation.
decode_result decode(record_format f, std::string_view bytes, trade& out,
                     std::size_t max_record_bytes = 1024) noexcept;

/// Printable rendering of record bytes for violation details: ASCII as is,
/// other bytes as \xNN, at most `limit` input bytes.
[[nodiscard]] std::string printable(std::string_view bytes, std::size_t limit = 64);

} // namespace shardgate::tools
