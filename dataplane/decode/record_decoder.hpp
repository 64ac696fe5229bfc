#pragma once
/// The decode and key stages of a dataplane core: frames the chunks its
/// sources hand over into records, reads the fields the plan routes by (and
/// the source partition, sequence and event time when asked: see
/// set_metadata), and turns them into canonical routing keys. Malformed records are counted by reason and
/// handed to a reject sink; they never stop the burst.

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dataplane/keys/key_program.hpp"
#include "dataplane/pipeline/source.hpp"
#include "dataplane/route/router.hpp"
#include "shardgate/burst.hpp"
#include "shardgate/counters.hpp"
#include "shardgate/format.hpp"
#include "shardgate/key_expr.hpp"

namespace shardgate {

/// Why a record was rejected; each maps to a counter.
enum class reject_reason : std::uint8_t {
    truncated = 1,     ///< malformed_truncated
    syntax = 2,        ///< malformed_syntax
    missing_key = 3,   ///< malformed_missing_key
    bad_key_value = 4, ///< malformed_bad_key_value
    oversized = 5,     ///< malformed_oversized
    bad_source_partition = 6,
};

[[nodiscard]] counter counter_of(reject_reason r) noexcept;
[[nodiscard]] reject_reason reject_reason_of(key_status s) noexcept;

/// Where a core sends what it cannot route: counts it and, when configured,
/// forwards it to the dead-letter sink.
class reject_sink {
public:
    virtual ~reject_sink() = default;
    /// The owning core. `record` stays valid only during the call.
    virtual void reject(std::span<const std::byte> record, reject_reason why) noexcept = 0;
};

class ndjson_reader;

/// n / divisor for any 32-bit n, with a multiply instead of a division
/// instruction: the fixed framing loop divides once per chunk, and a chunk
/// of a DPDK datagram holds some 16 records, whose framing cost about as
/// much as one division. Exact for every 32-bit n and divisor (Lemire,
/// Kaser, Kurz, "Faster remainder by direct computation", 2019).
/// Precondition: divisor >= 1.
class record_divider {
public:
    explicit record_divider(std::uint32_t divisor) noexcept
        : inverse_(divisor > 1 ? ~std::uint64_t{0} / divisor + 1 : 0) {}
    [[nodiscard]] std::uint32_t operator()(std::uint32_t n) const noexcept {
        // 2^64 / 1 does not fit: divisor 1 is the one case with inverse_ 0.
        return inverse_ ? static_cast<std::uint32_t>((static_cast<unsigned __int128>(inverse_) * n) >> 64)
                        : n;
    }

private:
    std::uint64_t inverse_; ///< 2^64 / divisor, rounded up
};

/// Per-record metadata a decoder can fill in besides the keys. Each costs a
/// load and a store per record on the fixed-format path, so a core asks only
/// for what its plan reads (the router: source partitions for sticky and for
/// smart with an aligned source; nothing reads sequences or event times on
/// the data path yet).
enum metadata : std::uint8_t {
    metadata_none = 0,
    metadata_source_partition = 1, ///< burst.source_partitions
    metadata_sequence = 2,         ///< burst.sequences
    metadata_event_time = 4,       ///< burst.event_times
    metadata_all = 7,
    /// Not metadata proper: every record's routing key is needed (the router
    /// hashes all of them). With a fixed format keyed by one plain str
    /// field, the decoder then slices the keys while framing the records
    /// (extract_all_keys has nothing left to do), or, when the field has at
    /// most 16 bytes, leaves them to the router's hash, which reads them from
    /// the records (extract_all_keys_or_field).
    metadata_keys = 8,
};

class record_decoder final : public key_extractor {
public:
    /// Compiles the routing keys against the format. Throws
    /// std::invalid_argument when a key reads a field a fixed or csv format
    /// does not declare, or the format is unusable (fixed with record_size 0).
    /// `max_record_bytes`: longer records are oversized (the smaller of the
    /// format's limit and what fits a lane block).
    record_decoder(const record_format& format, std::span<const key_expr> keys,
                   std::uint32_t max_record_bytes);
    ~record_decoder() override;
    record_decoder(const record_decoder&) = delete;
    record_decoder& operator=(const record_decoder&) = delete;

    /// Appends records of `chunk`, from byte `offset` on, to `burst` until the
    /// chunk ends or the burst is full: it holds `capacity` records, or the
    /// next record's strings do not fit what is left of the burst's string
    /// scratch (that record is then the next burst's first); advances
    /// `offset`. Returns true when the chunk is used up; false means the
    /// burst is full and holds at least one record. Records that are malformed go
    /// to `rejects` and are counted; every record counts in records_in and
    /// bytes_in. The owning core only; no allocation.
    bool decode(const rx_chunk& chunk, std::uint32_t& offset, record_burst& burst, std::uint32_t capacity,
                reject_sink& rejects, counter_block& counters) noexcept;

    /// key_extractor: evaluates the routing keys of the given records.
    void extract_keys(record_burst& burst, std::span<const std::uint16_t> indices) noexcept override;
    void extract_all_keys(record_burst& burst) noexcept override;
    field_key extract_all_keys_or_field(record_burst& burst) noexcept override;

    /// Which metadata decode() fills in from now on (a mask of `metadata`;
    /// metadata_all after construction). Arrays not asked for hold
    /// unspecified values. csv and ndjson records fill all of them whatever
    /// the mask (their fields are parsed anyway).
    void set_metadata(std::uint8_t wanted) noexcept { wanted_ = wanted; }
    [[nodiscard]] std::uint8_t wanted_metadata() const noexcept { return wanted_; }

    /// Call before filling a new burst: releases per-burst scratch.
    void begin_burst() noexcept { arena_used_ = 0; }

    [[nodiscard]] const record_format& format() const noexcept { return format_; }
    [[nodiscard]] std::uint32_t max_record_bytes() const noexcept { return max_record_bytes_; }

    /// The slot of a field name (assigned as routing keys ask for them).
    [[nodiscard]] std::size_t slot_count() const noexcept { return slot_names_.size(); }

private:
    /// Fixed records [first, first + count): the metadata asked for, from the
    /// format's fields or, without one, the chunk's partition (and zeros).
    void read_fixed_meta(record_burst& b, std::uint32_t first, std::uint32_t count,
                         source_partition chunk_partition) noexcept;
    void fixed_keys(record_burst& b, std::uint32_t i) noexcept;
    /// plain_fixed_keys_: record `p`'s canonical key, in burst slot i of fixed_arena_.
    [[gnu::always_inline]] inline key_ref plain_key(const std::byte* p, std::uint32_t i) noexcept;
    bool read_csv(const std::byte* p, std::uint32_t n, std::uint32_t i, record_burst& b,
                  reject_reason& why) noexcept;
    bool read_ndjson(const std::byte* p, std::uint32_t n, std::uint32_t i, record_burst& b,
                     reject_reason& why) noexcept;
    std::byte* arena_take(std::size_t n) noexcept;

    record_format format_;
    std::uint32_t max_record_bytes_;
    std::vector<std::string> slot_names_;   ///< field name per slot
    std::vector<std::uint32_t> slot_field_; ///< fixed/csv: format field index per slot
    // Special fields (format field index, or -1 when not configured).
    int source_field_ = -1, sequence_field_ = -1, event_time_field_ = -1;
    std::uint8_t wanted_ = metadata_all;
    std::uint32_t csv_last_needed_ = 0; ///< csv: highest column index anything reads
    bool single_str_slot_ = false;      ///< fixed: one plain str key, sliced from the record
    /// single_str_slot_ with a field of at most 16 bytes: where it is.
    field_key field_key_;
    /// Every record's key is wanted and is field_key_: decode() frames the
    /// records only, and the router's hash reads the keys from them
    /// (extract_all_keys_or_field), eight per vector on AVX-512.
    [[nodiscard]] bool keys_from_fields() const noexcept {
        return field_key_.size && (wanted_ & metadata_keys);
    }
    bool plain_fixed_keys_ = false; ///< fixed: plain field keys, encoded straight from the record
    /// A fixed-layout integer field read with one unaligned 8-byte load,
    /// masked and sign-extended to its width: no per-record switch. Reading
    /// up to 7 bytes past the field is safe (more record bytes, or
    /// rx_padding). x86-64 and the formats are little-endian.
    struct int_loader {
        std::uint32_t offset = 0;
        std::uint64_t mask = ~std::uint64_t{0};
        unsigned sign_shift = 0; ///< 64 - bits for signed fields narrower than 64, else 0

        explicit int_loader(const field_spec& f) noexcept : offset(f.offset) {
            const unsigned bits = 8 * fixed_width(f.type); // 0: str, or int64 (64 bits)
            if (bits != 0 && bits < 64) mask = (std::uint64_t{1} << bits) - 1;
            if (f.type == field_type::i32) sign_shift = 64 - bits;
        }
        [[nodiscard]] std::int64_t operator()(const std::byte* rec) const noexcept {
            std::uint64_t v;
            std::memcpy(&v, rec + offset, 8);
            v &= mask;
            return sign_shift ? static_cast<std::int64_t>(v << sign_shift) >> sign_shift
                              : static_cast<std::int64_t>(v);
        }
    };
    /// One plain field of plain_fixed_keys_, in key order.
    struct fixed_key_part {
        int_loader field;           ///< its offset; an integer field's width and sign
        std::uint32_t str_size = 0; ///< a str field's size; 0: an integer field
    };
    std::vector<fixed_key_part> fixed_parts_;
    std::size_t fixed_key_stride_ = 0;   ///< a key's slot in fixed_arena_: its largest size + 16
    record_divider per_record_{1};       ///< fixed: divides by record_size
    std::vector<std::byte> fixed_arena_; ///< one such key per burst record
    /// Per burst record: which format field maps to which slot (csv), fields read.
    std::vector<field_values> fields_;
    std::unique_ptr<key_set> keys_;
    std::unique_ptr<ndjson_reader> json_;
    /// Unescaped strings (csv "" quotes, JSON escapes) for the current burst:
    /// room for any one record's (at least max_record_bytes), so a record
    /// that does not fit after others goes into the next burst, never out.
    std::vector<std::byte> arena_;
    std::size_t arena_used_ = 0;
    bool arena_short_ = false; ///< arena_take found too little room since the record began
    friend class ndjson_reader;
};

} // namespace shardgate
