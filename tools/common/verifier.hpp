#pragma once
/// The sink's verifier: records arriving per output partition are checked
/// for decoding, per-(partition, source, symbol) sequence order, duplicates,
/// key locality (no key tuple at two partitions), content integrity (the
/// generator's price checksum) and, at the end, counts and sequence gaps.
///
/// Single-threaded. After warm-up no allocation per record: state lives in
/// flat hash maps keyed by compact keys (16 bytes for (source, symbol));
/// maps and per-key seen-bitsets only grow by doubling.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardgate/ids.hpp"
#include "tools/common/json.hpp"
#include "tools/common/trade.hpp"
#include "tools/common/word_map.hpp"

namespace shardgate::tools {

enum class violation_kind : std::uint8_t {
    malformed_truncated,   ///< a record cut short (datagram or stream ended inside it)
    malformed_syntax,      ///< a record that does not decode
    malformed_missing_key, ///< a record lacking a field
    malformed_oversized,   ///< a record or symbol longer than allowed
    order,                 ///< seq not above the last seq of its (source, symbol) in this partition
    duplicate,             ///< a (source, symbol, seq) that arrived before
    locality,              ///< a key tuple at a second partition
    corrupt,               ///< fields altered in transit (price checksum mismatch, seq 0)
    bad_frame,             ///< a captured frame with a bad Ethernet/IP/UDP header
    count,                 ///< total differs from --expect
    gap,                   ///< seq values of a (source, symbol) that never arrived (with --expect)
};
inline constexpr std::size_t violation_kind_count = 11;
[[nodiscard]] std::string_view to_string(violation_kind k) noexcept;

struct verifier_config {
    record_format format = record_format::fixed;
    std::uint32_t partitions = 1;
    std::vector<trade_field> key;        ///< locality key tuple; empty = no locality check
    std::optional<std::uint64_t> expect; ///< exact total; enables the count and gap checks
    std::size_t max_record_bytes = 1024; ///< csv/ndjson records longer are oversized
    bool check_price = true;             ///< price must be trade_price(...) of the other fields
    std::size_t max_details = 10;        ///< violations reported with details
    std::size_t seen_budget_bytes = std::size_t{256} << 20; ///< duplicate-tracking bitsets, in all
};

struct violation {
    violation_kind kind;
    std::uint32_t partition; ///< UINT32_MAX when not about one partition
    std::string detail;
};

class verifier {
public:
    /// Throws std::invalid_argument on a bad config (0 partitions, repeated key column).
    explicit verifier(verifier_config cfg);

    /// One datagram received on partition p: whole records only (fixed: a
    /// multiple of 40 bytes; text: `\n`-separated, the last `\n` optional).
    /// Precondition: p < partitions.
    void on_datagram(partition_id p, std::string_view datagram);
    /// One framed record (text: without its newline). Precondition: p < partitions.
    void on_record(partition_id p, std::string_view record);
    /// A violation found outside record decoding (a bad captured frame).
    void report(violation_kind k, std::uint32_t partition, std::string detail);

    /// Reassembles one byte stream (a TCP connection or a file) into records.
    class stream {
    public:
        /// `capacity`: buffer bytes (a text record longer than that is
        /// discarded up to its newline and reported oversized).
        stream(verifier& v, partition_id p, std::size_t capacity = std::size_t{1} << 20);
        /// Where to read the next bytes into; never empty.
        [[nodiscard]] char* space() noexcept { return buf_.data() + used_; }
        [[nodiscard]] std::size_t space_size() const noexcept { return buf_.size() - used_; }
        /// `n` bytes were written at space(): verify the complete records.
        void commit(std::size_t n);
        /// Copies and commits `bytes` (files, tests).
        void feed(std::string_view bytes);
        /// End of stream: a leftover text record is the last one (its `\n`
        /// is optional); a leftover fixed partial record is truncated.
        void end();
        [[nodiscard]] partition_id partition() const noexcept { return p_; }
        [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }
        /// Bytes of an incomplete record waiting for the rest.
        [[nodiscard]] std::size_t pending() const noexcept { return discarding_ ? 0 : used_; }

    private:
        verifier* v_;
        partition_id p_;
        std::vector<char> buf_;
        std::size_t used_ = 0;
        std::uint64_t bytes_ = 0;
        bool discarding_ = false;
    };

    /// End of the run: adds the count and gap checks (with --expect).
    /// Idempotent.
    void finish();

    [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
    [[nodiscard]] std::uint64_t valid() const noexcept { return valid_; }
    [[nodiscard]] std::uint64_t datagrams() const noexcept { return datagrams_; }
    [[nodiscard]] const std::vector<std::uint64_t>& per_partition() const noexcept { return per_partition_; }
    [[nodiscard]] std::uint64_t violations() const noexcept { return violation_total_; }
    [[nodiscard]] std::uint64_t violations(violation_kind k) const noexcept {
        return violation_counts_[static_cast<std::size_t>(k)];
    }
    [[nodiscard]] const std::vector<violation>& details() const noexcept { return details_; }
    [[nodiscard]] bool passed() const noexcept { return violation_total_ == 0; }
    /// Distinct key tuples (with a locality key), and how many were split.
    [[nodiscard]] std::uint64_t distinct_keys() const noexcept { return locality_ ? locality_->size() : 0; }
    [[nodiscard]] std::uint64_t split_keys() const noexcept { return split_keys_; }
    /// Distinct (source, symbol) pairs.
    [[nodiscard]] std::uint64_t distinct_streams() const noexcept { return streams_.size(); }
    /// Missing seq values found by finish() (with --expect).
    [[nodiscard]] std::uint64_t missing_seqs() const noexcept { return missing_seqs_; }
    [[nodiscard]] const verifier_config& config() const noexcept { return cfg_; }

    /// Writes the verification fields into an open JSON object: verdict,
    /// total, expected, per_partition, distinct keys, skew, violations.
    void write_json(json_writer& j) const;

private:
    /// Per (source, symbol); 56 bytes, so the common case (seq <= 64 seen
    /// bits inline, one home partition) touches one cache line.
    struct stream_state {
        std::uint64_t home_last = 0; ///< last seq at the home partition
        std::uint64_t max_seq = 0;
        std::uint64_t low_seen = 0;      ///< bit seq-1 for seq 1..64
        std::uint32_t home = UINT32_MAX; ///< first partition it arrived at
        std::uint32_t source = 0;
        std::array<char, symbol_capacity> symbol{};
        std::uint32_t more = UINT32_MAX; ///< index into more_seen_ (seq > 64), if any
        bool untracked = false;          ///< seq bits over budget: no duplicate/gap tracking beyond 64
    };

    bool want_detail() const noexcept { return details_.size() < cfg_.max_details; }
    void add(violation_kind k, std::uint32_t partition);
    void add(violation_kind k, std::uint32_t partition, std::string detail);
    /// Tests and sets seq's bit; returns true when it was already set.
    /// `tracked` is false when the bitset is over budget.
    bool test_and_set(stream_state& s, std::uint64_t seq, bool& tracked);
    [[nodiscard]] bool seen(const stream_state& s, std::uint64_t seq) const noexcept;
    std::string describe_key(const trade& t) const;
    void check_locality(std::uint32_t p, const trade& t);

    verifier_config cfg_;
    std::vector<std::uint64_t> per_partition_;
    std::uint64_t total_ = 0;
    std::uint64_t valid_ = 0;
    std::uint64_t datagrams_ = 0;
    std::array<std::uint64_t, violation_kind_count> violation_counts_{};
    std::uint64_t violation_total_ = 0;
    std::vector<violation> details_;
    word_map streams_{2}; ///< (symbol, source) -> index into states_
    std::vector<stream_state> states_;
    std::vector<std::vector<std::uint64_t>> more_seen_; ///< bit seq-65 once seq arrived
    word_map off_home_{1};             ///< (state index << 32 | partition) -> last seq, away from home
    std::optional<word_map> locality_; ///< key tuple -> partition | split flag << 32
    unsigned key_bytes_ = 0;
    std::uint64_t split_keys_ = 0;
    std::size_t seen_bytes_ = 0;
    std::uint64_t missing_seqs_ = 0;
    bool finished_ = false;
};

} // namespace shardgate::tools
