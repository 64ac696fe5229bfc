#pragma once
/// The generator's record stream: deterministic trades (same config and seed,
/// same bytes), with a per-(source, symbol) sequence, optional malformed
/// records, and packing into datagrams or stream chunks of whole records.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/common/random.hpp"
#include "tools/common/trade.hpp"
#include "tools/common/word_map.hpp"

namespace shardgate::tools {

enum class key_dist : std::uint8_t { uniform, zipf };

/// How a record's `source` is chosen.
enum class source_mode : std::uint8_t {
    random,        ///< uniform in [0, sources), plus first_source
    kafka_murmur2, ///< Kafka's default partition of the symbol: (murmur2(symbol) & 0x7fffffff) % sources
                   ///< (plus first_source),
                   ///< so the traffic is aligned the way smart_repartition expects
};

/// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2, seed
/// 0x9747b28c), written from Kafka's description, independent of the
/// dataplane's copy.
[[nodiscard]] std::uint32_t kafka_murmur2(const void* data, std::size_t length) noexcept;

/// Largest --keys: "S" plus up to 11 digits fills the 12-byte symbol.
inline constexpr std::uint64_t max_keys = 100'000'000'000ULL;

struct generator_config {
    record_format format = record_format::fixed;
    std::uint64_t records = 0; ///< total, malformed ones included
    std::uint64_t keys = 1000; ///< symbol cardinality, 1..max_keys
    std::uint64_t traders = 100;
    key_dist dist = key_dist::uniform;
    double zipf_s = 1.1;
    std::uint32_t sources = 4;
    /// Source ids are first_source .. first_source + sources - 1: generators
    /// feeding one router side by side keep their (source, symbol) keys apart.
    std::uint32_t first_source = 0;
    source_mode source_by = source_mode::random;
    std::uint64_t seed = 1;
    std::uint64_t malformed_every = 0; ///< 0 = none; else record i (1-based) with i % K == 0
    /// Reasons cycled through by malformed records; empty = every reason the
    /// format can express on the transport (expressible_reasons).
    std::vector<malformed_reason> malformed_reasons;
    bool datagrams = true;              ///< UDP/pcap framing (false: a byte stream)
    std::size_t oversized_bytes = 1200; ///< length of an `oversized` record, newline included
};

/// The malformed reasons each format can express, in cycling order:
/// fixed: truncated (datagrams only: a partial record ends its datagram; in a
/// stream it would shift every following record); csv and ndjson: syntax,
/// missing_key, oversized (a truncated text record is indistinguishable from
/// a short one, so it is a syntax or missing_key case, not a reason of its own).
[[nodiscard]] std::vector<malformed_reason> expressible_reasons(record_format f, bool datagrams);

/// "S" + index zero-padded to the width of keys - 1 ("S000".."S999" for 1000).
[[nodiscard]] std::string symbol_name(std::uint64_t index, std::uint64_t keys);

/// Produces the configured records one by one. Single-threaded; no
/// allocation per record.
class record_generator {
public:
    /// Throws std::invalid_argument with the offending setting on a bad config.
    explicit record_generator(generator_config cfg);

    struct item {
        std::size_t length = 0;
        malformed_reason reason = malformed_reason::none;
    };

    [[nodiscard]] bool done() const noexcept { return produced_ == cfg_.records; }
    /// Writes the next record to `out` (capacity max_record_bytes()).
    /// Precondition: !done().
    item next(char* out);
    /// The trade behind the last valid record next() produced.
    [[nodiscard]] const trade& last_trade() const noexcept { return last_; }

    [[nodiscard]] std::size_t max_record_bytes() const noexcept { return max_record_; }
    [[nodiscard]] std::uint64_t produced() const noexcept { return produced_; }
    [[nodiscard]] std::uint64_t valid() const noexcept { return valid_; }
    [[nodiscard]] std::uint64_t malformed(malformed_reason r) const noexcept {
        return malformed_[static_cast<std::size_t>(r)];
    }
    [[nodiscard]] const generator_config& config() const noexcept { return cfg_; }

private:
    std::uint64_t& seq_slot(std::uint32_t source, std::uint64_t symbol);
    void make_symbol(std::uint64_t index, std::array<char, symbol_capacity>& out) const noexcept;
    std::size_t encode_malformed(malformed_reason r, std::uint64_t nth, char* out) const;

    generator_config cfg_;
    rng rng_;
    std::optional<zipf_sampler> zipf_;
    unsigned symbol_digits_ = 1;
    std::size_t max_record_ = 0;
    std::uint64_t produced_ = 0;
    std::uint64_t valid_ = 0;
    std::uint64_t malformed_total_ = 0;
    std::array<std::uint64_t, malformed_reason_count + 1> malformed_{};
    std::vector<std::uint64_t> dense_seq_; ///< when sources * keys is small
    std::optional<word_map> sparse_seq_;   ///< otherwise: (source, symbol) -> last seq
    trade last_;
};

/// Packs a generator's records into datagram payloads or stream chunks.
class record_packer {
public:
    /// `final_newline` false: the last text record of each datagram omits its
    /// `\n` (allowed by the framing rules; exercises receivers).
    explicit record_packer(record_generator& g, bool final_newline = true);

    struct packed {
        std::size_t bytes = 0;
        std::uint64_t records = 0;
    };
    /// Fills `buf` with whole records up to `limit` bytes; a truncated record
    /// ends the datagram. Returns 0 bytes when the generator is done.
    /// Precondition: limit >= the generator's max_record_bytes() (else a
    /// record that fits nowhere ends the stream early).
    /// At most `max_records` records (rate limiting keeps batches short).
    packed next_datagram(char* buf, std::size_t limit, std::uint64_t max_records = UINT64_MAX);
    /// Same for a byte stream chunk (no newline dropping).
    packed next_chunk(char* buf, std::size_t limit, std::uint64_t max_records = UINT64_MAX);
    [[nodiscard]] bool done() const noexcept { return !has_pending_ && g_.done(); }
    /// Records handed out so far.
    [[nodiscard]] std::uint64_t emitted() const noexcept { return emitted_; }

private:
    packed fill(char* buf, std::size_t limit, std::uint64_t max_records, bool datagram);

    record_generator& g_;
    bool final_newline_;
    std::vector<char> pending_;
    record_generator::item pending_item_;
    bool has_pending_ = false;
    std::uint64_t emitted_ = 0;
};

} // namespace shardgate::tools
