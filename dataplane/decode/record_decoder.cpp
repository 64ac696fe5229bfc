#include "dataplane/decode/record_decoder.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdexcept>
#include <system_error>

#include "dataplane/decode/ndjson_reader.hpp"
#include "dataplane/keys/padded_str.hpp"

namespace shardgate {
namespace {

/// Bytes of unescaped strings (csv "" quotes, JSON escapes) a burst has room
/// for, at the least: 1 KiB per record of a full burst, the longest canonical
/// key. The arena also holds any one record's strings (record_decoder).
constexpr std::size_t min_arena_bytes = max_burst * key_set::max_key_bytes;

template <typename T>
T load_le(const std::byte* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v); // x86-64 and the formats are little-endian
    return v;
}

/// records[k] = {p + k·size, size} for k < n. With SSE2 one 16-byte store
/// per record of a vector advanced by an add, instead of two stores: about
/// 1 % of the DPDK benchmark's one-CPU layout (shardgate-dpdkbench --ab, B/A
/// median 1.01 over 10 runs, every one above 1).
void frame_fixed(record_view* records, const std::byte* p, std::uint32_t size, std::uint32_t n) noexcept {
#if defined(__SSE2__)
    static_assert(sizeof(record_view) == 16 && offsetof(record_view, length) == 8, "{data, length, padding}");
    __m128i v = _mm_set_epi64x(size, reinterpret_cast<long long>(p));
    const __m128i step = _mm_set_epi64x(0, size);
    auto* out = reinterpret_cast<__m128i*>(records); // __m128i may alias any type
    for (std::uint32_t k = 0; k < n; ++k, v = _mm_add_epi64(v, step)) _mm_storeu_si128(out + k, v);
#else
    for (std::uint32_t k = 0; k < n; ++k, p += size) records[k] = record_view{p, size};
#endif
}

/// A fixed-layout field's value.
key_value fixed_value(const field_spec& f, const std::byte* rec) noexcept {
    const std::byte* p = rec + f.offset;
    switch (f.type) {
    case field_type::u8:
        return key_value::of_int(load_le<std::uint8_t>(p));
    case field_type::u16:
        return key_value::of_int(load_le<std::uint16_t>(p));
    case field_type::u32:
        return key_value::of_int(load_le<std::uint32_t>(p));
    case field_type::u64:
        return key_value::of_int(static_cast<std::int64_t>(load_le<std::uint64_t>(p)));
    case field_type::i32:
        return key_value::of_int(load_le<std::int32_t>(p));
    case field_type::i64:
    case field_type::int64:
        return key_value::of_int(load_le<std::int64_t>(p));
    case field_type::str: {
        // Trailing NULs pad the field; they are not part of the value.
        key_value v;
        v.type = value_type::string;
        v.data = p;
        v.length = padded_length(p, f.size);
        return v;
    }
    }
    return key_value::null_value();
}

/// Calls `body` with the cheapest function giving a `size`-byte str field's
/// trimmed length (one load and a precomputed mask up to 16 bytes, a scan
/// beyond), so that a loop over records tests the size once, not per record.
template <typename Body>
void with_key_length(std::uint32_t size, Body&& body) {
#if defined(__SSE2__)
    if (size <= short_padded_field_bytes) {
        const std::uint32_t mask = (1u << size) - 1;
        body([mask](const std::byte* k) { return short_padded_length(k, mask); });
        return;
    }
#endif
    body([size](const std::byte* k) { return padded_length(k, size); });
}

/// Integer metadata (source partition, sequence, event time) from a value.
bool as_int(const key_value& v, std::int64_t& out) noexcept {
    if (v.type == value_type::int64) {
        out = v.i;
        return true;
    }
    if (v.type == value_type::string) {
        const char* b = reinterpret_cast<const char*>(v.data);
        const auto r = std::from_chars(b, b + v.length, out);
        return v.length && r.ec == std::errc{} && r.ptr == b + v.length;
    }
    return false;
}

source_partition to_source_partition(bool ok, std::int64_t v) noexcept {
    // A value outside [0, 2^32-1) cannot name a source partition; the router
    // counts it where the strategy needs one.
    if (!ok || v < 0 || v >= static_cast<std::int64_t>(unknown_source_partition.value()))
        return unknown_source_partition;
    return source_partition{static_cast<std::uint32_t>(v)};
}

} // namespace

counter counter_of(reject_reason r) noexcept {
    switch (r) {
    case reject_reason::truncated:
        return counter::malformed_truncated;
    case reject_reason::syntax:
        return counter::malformed_syntax;
    case reject_reason::missing_key:
        return counter::malformed_missing_key;
    case reject_reason::bad_key_value:
        return counter::malformed_bad_key_value;
    case reject_reason::oversized:
        return counter::malformed_oversized;
    case reject_reason::bad_source_partition:
        return counter::bad_source_partition;
    }
    return counter::malformed_syntax;
}

reject_reason reject_reason_of(key_status s) noexcept {
    switch (s) {
    case key_status::missing:
        return reject_reason::missing_key;
    case key_status::oversized:
        return reject_reason::oversized;
    case key_status::ok:
    case key_status::bad_value:
        break;
    }
    return reject_reason::bad_key_value;
}

record_decoder::record_decoder(const record_format& format, std::span<const key_expr> keys,
                               std::uint32_t max_record_bytes)
    : format_(format), max_record_bytes_(max_record_bytes), fields_(max_burst),
      arena_(std::max<std::size_t>(min_arena_bytes, max_record_bytes)) {
    if (format_.kind == format_kind::fixed && format_.record_size == 0)
        throw std::invalid_argument("fixed record format needs a record_size");
    if (format_.kind == format_kind::fixed) per_record_ = record_divider(format_.record_size);
    if (format_.kind == format_kind::fixed && format_.record_size > max_record_bytes_)
        throw std::invalid_argument("fixed records of " + std::to_string(format_.record_size) +
                                    " bytes do not fit the largest record the lanes carry (" +
                                    std::to_string(max_record_bytes_) + " bytes)");
    auto special = [&](const std::string& name, const char* what) {
        if (name.empty() || format_.kind == format_kind::ndjson) return -1;
        const auto idx = format_.find_field(name);
        if (!idx)
            throw std::invalid_argument(std::string(what) + " '" + name + "' is not a field of the " +
                                        std::string(to_string(format_.kind)) + " format");
        const field_type t = format_.fields[*idx].type;
        if (t == field_type::str && format_.kind == format_kind::fixed)
            throw std::invalid_argument(std::string(what) + " '" + name + "' must be an integer field");
        return static_cast<int>(*idx);
    };
    source_field_ = special(format_.source_partition_field, "source_partition_field");
    sequence_field_ = special(format_.sequence_field, "sequence_field");
    event_time_field_ = special(format_.event_time_field, "event_time_field");
    for (int f : {source_field_, sequence_field_, event_time_field_})
        if (f >= 0) csv_last_needed_ = std::max(csv_last_needed_, static_cast<std::uint32_t>(f));

    const key_program::resolver resolve = [this](std::string_view name) -> std::optional<std::uint32_t> {
        for (std::uint32_t s = 0; s < slot_names_.size(); ++s)
            if (slot_names_[s] == name) return s;
        if (slot_names_.size() == field_values::max_slots) return std::nullopt;
        std::uint32_t field = 0;
        if (format_.kind != format_kind::ndjson) {
            const auto idx = format_.find_field(name);
            if (!idx) return std::nullopt;
            field = *idx;
            csv_last_needed_ = std::max(csv_last_needed_, field);
        }
        slot_names_.emplace_back(name);
        slot_field_.push_back(field);
        return static_cast<std::uint32_t>(slot_names_.size() - 1);
    };
    if (!keys.empty()) keys_ = std::make_unique<key_set>(keys, resolve);
    single_str_slot_ = format_.kind == format_kind::fixed && keys_ && keys_->size() == 1 &&
                       (*keys_)[0].plain_field().has_value() &&
                       format_.fields[slot_field_[0]].type == field_type::str;
    if (single_str_slot_ && format_.fields[slot_field_[0]].size <= short_padded_field_bytes)
        field_key_ = {format_.fields[slot_field_[0]].offset, format_.fields[slot_field_[0]].size};
    if (format_.kind == format_kind::fixed && keys_ && !single_str_slot_) {
        // Several plain fields (or one integer): the canonical key has a fixed
        // largest size, so each burst record gets a slot of that size.
        plain_fixed_keys_ = true;
        std::size_t bytes = 0;
        for (std::uint32_t k = 0; k < keys_->size() && plain_fixed_keys_; ++k) {
            const auto slot = (*keys_)[k].plain_field();
            if (!slot) {
                plain_fixed_keys_ = false;
                break;
            }
            const field_spec& f = format_.fields[slot_field_[*slot]];
            fixed_parts_.push_back({int_loader(f), f.type == field_type::str ? f.size : 0});
            bytes += f.type == field_type::str ? 5 + f.size : 9;
        }
        if (plain_fixed_keys_) {
            // Each key's slot has 16 bytes of slack: short strings are
            // copied with one 16-byte move whatever their length.
            fixed_key_stride_ = bytes + 16;
            fixed_arena_.resize(max_burst * fixed_key_stride_);
        } else {
            fixed_parts_.clear();
        }
    }
    if (format_.kind == format_kind::ndjson) json_ = std::make_unique<ndjson_reader>(*this);
}

record_decoder::~record_decoder() = default;

std::byte* record_decoder::arena_take(std::size_t n) noexcept {
    if (arena_.size() - arena_used_ < n) {
        arena_short_ = true;
        return nullptr;
    }
    std::byte* p = arena_.data() + arena_used_;
    arena_used_ += n;
    return p;
}

void record_decoder::read_fixed_meta(record_burst& b, std::uint32_t first, std::uint32_t count,
                                     source_partition chunk_partition) noexcept {
    // The format's integer metadata fields (the constructor refused str ones),
    // those asked for only.
    if (wanted_ & metadata_source_partition) {
        if (source_field_ >= 0) {
            const int_loader load(format_.fields[source_field_]);
            for (std::uint32_t i = first; i < first + count; ++i)
                b.source_partitions[i] = to_source_partition(true, load(b.records[i].data));
        } else {
            std::fill_n(b.source_partitions.begin() + first, count, chunk_partition);
        }
    }
    if (wanted_ & metadata_sequence) {
        if (sequence_field_ >= 0) {
            const int_loader load(format_.fields[sequence_field_]);
            for (std::uint32_t i = first; i < first + count; ++i)
                b.sequences[i] = static_cast<std::uint64_t>(load(b.records[i].data));
        } else {
            std::fill_n(b.sequences.begin() + first, count, 0);
        }
    }
    if (wanted_ & metadata_event_time) {
        if (event_time_field_ >= 0) {
            const int_loader load(format_.fields[event_time_field_]);
            for (std::uint32_t i = first; i < first + count; ++i) b.event_times[i] = load(b.records[i].data);
        } else {
            std::fill_n(b.event_times.begin() + first, count, 0);
        }
    }
}

key_ref record_decoder::plain_key(const std::byte* p, std::uint32_t i) noexcept {
    // Plain fields only: the canonical encoding (key.hpp) written straight
    // from the record, without typed values in between, from the parts
    // compiled at construction (no per-record lookups or type switch).
    // x86-64 and the encoding are little-endian: lengths and integers are
    // stored as they are in registers.
    std::byte* const out = fixed_arena_.data() + std::size_t{i} * fixed_key_stride_;
    std::byte* w = out;
    for (const fixed_key_part& k : fixed_parts_) {
        const std::byte* src = p + k.field.offset;
        if (k.str_size) {
            const std::uint32_t n = padded_length(src, k.str_size);
            w[0] = static_cast<std::byte>(value_type::string);
            std::memcpy(w + 1, &n, 4);
            // Up to 16 bytes: one move whatever the length (the slot's slack
            // takes the rest; reading past the field stays in the record or
            // its rx_padding).
            if (k.str_size <= 16)
                std::memcpy(w + 5, src, 16);
            else
                std::memcpy(w + 5, src, n);
            w += 5 + n;
        } else {
            const std::int64_t v = k.field(p);
            w[0] = static_cast<std::byte>(value_type::int64);
            std::memcpy(w + 1, &v, 8);
            w += 9;
        }
    }
    return {out, static_cast<std::uint32_t>(w - out)};
}

void record_decoder::fixed_keys(record_burst& b, std::uint32_t i) noexcept {
    const std::byte* p = b.records[i].data;
    if (single_str_slot_) {
        // The common case, one plain string key: a slice of the record.
        const field_spec& f = format_.fields[slot_field_[0]];
        b.keys[i] = {p + f.offset, padded_length(p + f.offset, f.size)};
        b.key_states[i] = key_status::ok;
        return;
    }
    if (plain_fixed_keys_) {
        b.keys[i] = plain_key(p, i);
        b.key_states[i] = key_status::ok;
        return;
    }
    field_values& fv = fields_[i];
    for (std::uint32_t s = 0; s < slot_field_.size(); ++s)
        fv.values[s] = fixed_value(format_.fields[slot_field_[s]], p);
    fv.present = (1u << slot_field_.size()) - 1; // slots ≤ 16: every declared field is present
    fv.unusable = 0;
    keys_->encode(b, i, fv);
}

bool record_decoder::read_csv(const std::byte* rec, std::uint32_t n, std::uint32_t i, record_burst& b,
                              reject_reason& why) noexcept {
    const char* p = reinterpret_cast<const char*>(rec);
    const char* end = p + n;
    if (end > p && end[-1] == '\r') --end; // CRLF lines: the '\r' is not data
    field_values& fv = fields_[i];
    fv.present = 0;
    fv.unusable = 0;
    const std::uint32_t columns = static_cast<std::uint32_t>(format_.fields.size());
    std::uint32_t col = 0;
    std::int64_t meta = 0;
    while (true) {
        if (col >= columns) {
            why = reject_reason::syntax; // more columns than declared
            return false;
        }
        // One field: quoted ("..." with "" for a quote, commas allowed) or bare.
        const char* f = p;
        const char* fend;
        bool escaped = false, quoted = false;
        if (p < end && *p == '"') {
            quoted = true;
            const char* q = p + 1;
            while (true) {
                q = static_cast<const char*>(std::memchr(q, '"', static_cast<std::size_t>(end - q)));
                if (!q) {
                    why = reject_reason::syntax; // unterminated quote
                    return false;
                }
                if (q + 1 < end && q[1] == '"') {
                    escaped = true;
                    q += 2;
                    continue;
                }
                break;
            }
            f = p + 1;
            fend = q;
            p = q + 1;
            if (p < end && *p != ',') {
                why = reject_reason::syntax; // text after a closing quote
                return false;
            }
        } else {
            const char* c = static_cast<const char*>(std::memchr(p, ',', static_cast<std::size_t>(end - p)));
            fend = c ? c : end;
            p = fend;
        }
        if (col <= csv_last_needed_) {
            key_value v;
            if (fend == f && !quoted) {
                v = key_value::null_value(); // an empty, unquoted field is NULL
            } else if (format_.fields[col].type == field_type::int64) {
                std::int64_t x = 0;
                const char* s = f;
                if (s < fend && *s == '+') ++s;
                const auto r = std::from_chars(s, fend, x);
                if (s == fend || r.ec != std::errc{} || r.ptr != fend) {
                    why = reject_reason::syntax; // not an integer in an int column
                    return false;
                }
                v = key_value::of_int(x);
            } else {
                const char* data = f;
                std::size_t len = static_cast<std::size_t>(fend - f);
                if (escaped) {
                    std::byte* out = arena_take(len);
                    if (!out) {
                        why = reject_reason::oversized;
                        return false;
                    }
                    std::size_t k = 0;
                    for (const char* s = f; s < fend; ++s) {
                        out[k++] = static_cast<std::byte>(*s);
                        if (*s == '"') ++s; // "" → "
                    }
                    data = reinterpret_cast<const char*>(out);
                    len = k;
                }
                v = key_value::of_string(std::string_view(data, len));
            }
            for (std::uint32_t s = 0; s < slot_field_.size(); ++s)
                if (slot_field_[s] == col) {
                    fv.values[s] = v;
                    fv.present |= 1u << s;
                }
            if (static_cast<int>(col) == source_field_) {
                const bool ok = as_int(v, meta);
                b.source_partitions[i] = to_source_partition(ok, meta);
            }
            if (static_cast<int>(col) == sequence_field_)
                b.sequences[i] = as_int(v, meta) ? static_cast<std::uint64_t>(meta) : 0;
            if (static_cast<int>(col) == event_time_field_) b.event_times[i] = as_int(v, meta) ? meta : 0;
        }
        ++col;
        if (p >= end) break;
        ++p; // the comma
    }
    if (col != columns) {
        // Fewer columns than declared: when a routing key's column is among
        // the absent ones, the record lacks its key; otherwise it is just
        // not in the declared layout.
        const std::uint32_t all = (1u << slot_field_.size()) - 1;
        why = fv.present != all ? reject_reason::missing_key : reject_reason::syntax;
        return false;
    }
    return true;
}

bool record_decoder::read_ndjson(const std::byte* p, std::uint32_t n, std::uint32_t i, record_burst& b,
                                 reject_reason& why) noexcept {
    return json_->read(p, n, i, b, why);
}

bool record_decoder::decode(const rx_chunk& chunk, std::uint32_t& offset, record_burst& b,
                            std::uint32_t capacity, reject_sink& rejects, counter_block& counters) noexcept {
    if (b.size == 0) arena_used_ = 0;
    const std::byte* const base = chunk.data;
    if (chunk.flags & chunk_oversized) {
        // The first bytes of one record that was too long; the source dropped the rest.
        counters.add(counter::records_in);
        counters.add(counter::bytes_in, chunk.length);
        rejects.reject(std::span(base, chunk.length), reject_reason::oversized);
        offset = chunk.length;
        return true;
    }
    std::uint32_t records = 0, bytes = 0;
    // False when the record's strings did not fit the arena after the
    // burst's other records: nothing is counted, it goes into the next burst.
    auto admit = [&](const std::byte* p, std::uint32_t n) noexcept {
        const std::uint32_t i = b.size;
        arena_short_ = false;
        b.source_partitions[i] = chunk.partition;
        b.sequences[i] = 0;
        b.event_times[i] = 0;
        reject_reason why = reject_reason::syntax;
        bool ok;
        if (n > max_record_bytes_) {
            ok = false;
            why = reject_reason::oversized;
        } else {
            switch (format_.kind) {
            case format_kind::csv:
                ok = read_csv(p, n, i, b, why);
                break;
            case format_kind::ndjson:
                ok = read_ndjson(p, n, i, b, why);
                break;
            default:
                ok = false;
            }
        }
        if (!ok && arena_short_ && b.size > 0) return false;
        ++records;
        bytes += n;
        if (!ok) [[unlikely]] {
            rejects.reject(std::span(p, n), why);
            return true;
        }
        b.records[i] = record_view{p, n};
        b.key_states[i] = key_status::ok;
        b.keys[i] = {};
        ++b.size;
        return true;
    };

    if (format_.kind == format_kind::fixed) {
        // Fixed records cannot be malformed but for a trailing partial one:
        // no per-record checks, and fields are read only when keys are asked for.
        const std::uint32_t rs = format_.record_size;
        const std::uint32_t take = std::min(per_record_(chunk.length - offset), capacity - b.size);
        const std::uint32_t first = b.size;
        const std::byte* p = base + offset;
        if (keys_from_fields()) {
            // Frame only: the router's hash reads each key from its record
            // (extract_all_keys_or_field).
            frame_fixed(b.records.data() + first, p, rs, take);
        } else if (single_str_slot_ && (wanted_ & metadata_keys)) {
            // Frame and slice the key in one pass (see metadata_keys), with
            // the field's offset and size hoisted out of the loop.
            const field_spec& f = format_.fields[slot_field_[0]];
            const std::uint32_t at = f.offset;
            with_key_length(f.size, [&](auto key_length) {
                for (std::uint32_t i = first; i < first + take; ++i, p += rs) {
                    b.records[i] = record_view{p, rs};
                    b.keys[i] = {p + at, key_length(p + at)};
                    b.key_states[i] = key_status::ok;
                }
            });
        } else {
            for (std::uint32_t i = first; i < first + take; ++i, p += rs) {
                b.records[i] = record_view{p, rs};
                b.key_states[i] = key_status::ok;
            }
        }
        if (wanted_ & metadata_all) read_fixed_meta(b, first, take, chunk.partition);
        b.size += take;
        offset += take * rs;
        records += take;
        bytes += take * rs;
        if (b.size < capacity && offset < chunk.length && chunk.length - offset < rs) {
            // A trailing partial record: the datagram or stream ended inside it.
            const std::uint32_t n = chunk.length - offset;
            ++records;
            bytes += n;
            rejects.reject(std::span(base + offset, n), reject_reason::truncated);
            offset = chunk.length;
        }
    } else {
        while (b.size < capacity && offset < chunk.length) {
            const std::byte* p = base + offset;
            const std::uint32_t left = chunk.length - offset;
            const void* nl = std::memchr(p, '\n', left);
            const std::uint32_t n =
                nl ? static_cast<std::uint32_t>(static_cast<const std::byte*>(nl) - p) : left;
            const std::uint32_t at = offset;
            offset += n + (nl ? 1 : 0);
            if (n == 0 || (n == 1 && p[0] == std::byte{'\r'})) {
                // An empty line carries no record: counted, nothing to forward.
                ++records;
                rejects.reject(std::span(p, n), reject_reason::syntax);
                continue;
            }
            if (!admit(p, n)) {
                offset = at; // the burst is full: this record starts the next one
                break;
            }
        }
    }
    counters.add(counter::records_in, records);
    counters.add(counter::bytes_in, bytes);
    return offset >= chunk.length;
}

void record_decoder::extract_keys(record_burst& b, std::span<const std::uint16_t> indices) noexcept {
    if (!keys_) {
        for (auto i : indices) {
            b.keys[i] = {};
            b.key_states[i] = key_status::ok;
        }
        return;
    }
    if (format_.kind == format_kind::fixed) {
        for (auto i : indices) fixed_keys(b, i);
        return;
    }
    for (auto i : indices) keys_->encode(b, i, fields_[i]);
}

void record_decoder::extract_all_keys(record_burst& b) noexcept {
    if (!keys_) {
        for (std::uint32_t i = 0; i < b.size; ++i) {
            b.keys[i] = {};
            b.key_states[i] = key_status::ok;
        }
        return;
    }
    if (format_.kind == format_kind::fixed) {
        if (single_str_slot_) {
            // Sliced by decode() already, unless it left them to the hash.
            if ((wanted_ & metadata_keys) && !keys_from_fields()) return;
            // The common case in one tight loop: a slice of each record.
            const field_spec& f = format_.fields[slot_field_[0]];
            with_key_length(f.size, [&](auto key_length) {
                for (std::uint32_t i = 0; i < b.size; ++i) {
                    const std::byte* p = b.records[i].data + f.offset;
                    b.keys[i] = {p, key_length(p)};
                    b.key_states[i] = key_status::ok;
                }
            });
            return;
        }
        if (plain_fixed_keys_) {
            for (std::uint32_t i = 0; i < b.size; ++i) {
                b.keys[i] = plain_key(b.records[i].data, i);
                b.key_states[i] = key_status::ok;
            }
            return;
        }
        for (std::uint32_t i = 0; i < b.size; ++i) fixed_keys(b, i);
        return;
    }
    for (std::uint32_t i = 0; i < b.size; ++i) keys_->encode(b, i, fields_[i]);
}

field_key record_decoder::extract_all_keys_or_field(record_burst& b) noexcept {
    if (keys_from_fields()) return field_key_;
    extract_all_keys(b);
    return {};
}

} // namespace shardgate
