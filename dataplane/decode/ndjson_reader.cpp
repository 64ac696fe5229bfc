#include "dataplane/decode/ndjson_reader.hpp"

#include <simdjson.h>

#include <cstring>
#include <new>

namespace shardgate {

// simdjson may read up to SIMDJSON_PADDING bytes past a document; sources
// guarantee rx_padding readable bytes after every chunk.
static_assert(rx_padding >= simdjson::SIMDJSON_PADDING);

struct ndjson_reader::impl {
    simdjson::dom::parser parser;
};

ndjson_reader::ndjson_reader(record_decoder& owner) : owner_(owner), impl_(std::make_unique<impl>()) {
    // One document at a time on a pinned core: size the parser once, up front,
    // so parsing never allocates.
    if (impl_->parser.allocate(owner.max_record_bytes()) != simdjson::SUCCESS) throw std::bad_alloc();
}

ndjson_reader::~ndjson_reader() = default;

bool ndjson_reader::read(const std::byte* p, std::uint32_t n, std::uint32_t i, record_burst& b,
                         reject_reason& why) noexcept {
    using namespace simdjson;
    why = reject_reason::syntax;
    record_decoder& d = owner_;
    field_values& fv = d.fields_[i];
    fv.present = 0;
    fv.unusable = 0;
    // The DOM parser validates the whole record (stage 1 and 2, dispatched at
    // run time to the best SIMD kernel the CPU has). It reads up to
    // SIMDJSON_PADDING bytes past the record: rx_padding guarantees them.
    dom::element doc;
    if (impl_->parser.parse(reinterpret_cast<const char*>(p), n, false).get(doc)) return false;
    dom::object obj;
    if (doc.get_object().get(obj)) return false; // a record is one object
    const std::string& src_name = d.format_.source_partition_field;
    const std::string& seq_name = d.format_.sequence_field;
    const std::string& evt_name = d.format_.event_time_field;
    for (const dom::key_value_pair kv : obj) {
        const std::string_view key = kv.key;
        int slot = -1;
        for (std::size_t s = 0; s < d.slot_names_.size(); ++s)
            if (d.slot_names_[s] == key) {
                slot = static_cast<int>(s);
                break;
            }
        const bool is_src = !src_name.empty() && key == src_name;
        const bool is_seq = !seq_name.empty() && key == seq_name;
        const bool is_evt = !evt_name.empty() && key == evt_name;
        if (slot < 0 && !is_src && !is_seq && !is_evt) continue;
        const dom::element val = kv.value;
        key_value v;
        bool usable = true;
        switch (val.type()) {
        case dom::element_type::NULL_VALUE:
            v = key_value::null_value();
            break;
        case dom::element_type::BOOL:
            v = key_value::of_bool(val.get_bool().value_unsafe());
            break;
        case dom::element_type::INT64:
            v = key_value::of_int(val.get_int64().value_unsafe());
            break;
        case dom::element_type::UINT64:
            // Same bits as a fixed u64 field, so both formats hash alike.
            v = key_value::of_int(static_cast<std::int64_t>(val.get_uint64().value_unsafe()));
            break;
        case dom::element_type::DOUBLE:
            v = key_value::of_double(val.get_double().value_unsafe());
            break;
        case dom::element_type::STRING: {
            // Unescaped into the parser's buffer, which the next record reuses: copy.
            const std::string_view s = val.get_string().value_unsafe();
            std::byte* out = d.arena_take(s.size());
            if (!out && !s.empty()) {
                why = reject_reason::oversized;
                return false;
            }
            if (!s.empty()) std::memcpy(out, s.data(), s.size());
            v = key_value::of_string(std::string_view(reinterpret_cast<const char*>(out), s.size()));
            break;
        }
        case dom::element_type::ARRAY:
        case dom::element_type::OBJECT:
            usable = false;
            break; // not hashable as a key
        }
        if (slot >= 0) {
            fv.values[slot] = v;
            fv.present |= 1u << slot;
            if (!usable) fv.unusable |= 1u << slot;
        }
        const bool is_int = usable && v.type == value_type::int64;
        if (is_src) {
            b.source_partitions[i] =
                is_int && v.i >= 0 && v.i < static_cast<std::int64_t>(unknown_source_partition.value())
                    ? source_partition{static_cast<std::uint32_t>(v.i)}
                    : unknown_source_partition;
        }
        if (is_seq && is_int) b.sequences[i] = static_cast<std::uint64_t>(v.i);
        if (is_evt && is_int) b.event_times[i] = v.i;
    }
    return true;
}

} // namespace shardgate
