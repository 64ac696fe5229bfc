#include "tools/common/verifier.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace shardgate::tools {

namespace {
std::uint64_t load64(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
std::uint32_t load32(const char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
constexpr std::uint64_t split_flag = std::uint64_t{1} << 32;

violation_kind malformed_kind(malformed_reason r) noexcept {
    switch (r) {
    case malformed_reason::truncated:
        return violation_kind::malformed_truncated;
    case malformed_reason::missing_key:
        return violation_kind::malformed_missing_key;
    case malformed_reason::oversized:
        return violation_kind::malformed_oversized;
    default:
        return violation_kind::malformed_syntax;
    }
}

std::string stream_name(std::uint32_t source, std::string_view symbol) {
    return "source " + std::to_string(source) + " symbol " + std::string(symbol);
}
} // namespace

std::string_view to_string(violation_kind k) noexcept {
    switch (k) {
    case violation_kind::malformed_truncated:
        return "malformed_truncated";
    case violation_kind::malformed_syntax:
        return "malformed_syntax";
    case violation_kind::malformed_missing_key:
        return "malformed_missing_key";
    case violation_kind::malformed_oversized:
        return "malformed_oversized";
    case violation_kind::order:
        return "order";
    case violation_kind::duplicate:
        return "duplicate";
    case violation_kind::locality:
        return "locality";
    case violation_kind::corrupt:
        return "corrupt";
    case violation_kind::bad_frame:
        return "bad_frame";
    case violation_kind::count:
        return "count";
    case violation_kind::gap:
        return "gap";
    }
    return "?";
}

verifier::verifier(verifier_config cfg) : cfg_(std::move(cfg)) {
    if (cfg_.partitions == 0) throw std::invalid_argument("partitions must be at least 1, got 0");
    per_partition_.assign(cfg_.partitions, 0);
    unsigned seen_fields = 0;
    for (auto f : cfg_.key) {
        const unsigned bit = 1u << static_cast<unsigned>(f);
        if (seen_fields & bit)
            throw std::invalid_argument("key column '" +
                                        std::string(trade_field_names[static_cast<std::size_t>(f)]) +
                                        "' is listed twice");
        seen_fields |= bit;
        key_bytes_ += f == trade_field::symbol ? 12 : f == trade_field::source ? 4 : 8;
    }
    if (!cfg_.key.empty()) locality_.emplace((key_bytes_ + 7) / 8);
}

void verifier::add(violation_kind k, std::uint32_t partition) {
    ++violation_counts_[static_cast<std::size_t>(k)];
    ++violation_total_;
    (void)partition;
}

void verifier::add(violation_kind k, std::uint32_t partition, std::string detail) {
    add(k, partition);
    if (want_detail()) details_.push_back({k, partition, std::move(detail)});
}

void verifier::report(violation_kind k, std::uint32_t partition, std::string detail) {
    add(k, partition, std::move(detail));
}

void verifier::on_datagram(partition_id p, std::string_view d) {
    ++datagrams_;
    if (cfg_.format == record_format::fixed) {
        std::size_t off = 0;
        for (; off + fixed_record_size <= d.size(); off += fixed_record_size)
            on_record(p, d.substr(off, fixed_record_size));
        if (off < d.size()) on_record(p, d.substr(off)); // a partial record: truncated
        return;
    }
    std::size_t start = 0;
    while (start < d.size()) {
        const void* nl = std::memchr(d.data() + start, '\n', d.size() - start);
        const std::size_t end =
            nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - d.data()) : d.size();
        on_record(p, d.substr(start, end - start));
        start = end + 1;
    }
}

bool verifier::test_and_set(stream_state& s, std::uint64_t seq, bool& tracked) {
    const std::uint64_t bit = seq - 1;
    tracked = true;
    if (bit < 64) {
        const std::uint64_t mask = std::uint64_t{1} << bit;
        const bool was = (s.low_seen & mask) != 0;
        s.low_seen |= mask;
        return was;
    }
    if (s.untracked) {
        tracked = false;
        return false;
    }
    const std::uint64_t word = (bit - 64) >> 6;
    if (s.more == UINT32_MAX) {
        s.more = static_cast<std::uint32_t>(more_seen_.size());
        more_seen_.emplace_back();
    }
    auto& seen = more_seen_[s.more];
    if (word >= seen.size()) {
        const std::size_t want = static_cast<std::size_t>(std::max<std::uint64_t>(word + 1, seen.size() * 2));
        const std::size_t extra = (want - seen.size()) * sizeof(std::uint64_t);
        if (word >= (std::uint64_t{1} << 40) || seen_bytes_ + extra > cfg_.seen_budget_bytes) {
            s.untracked = true;
            tracked = false;
            return false;
        }
        seen_bytes_ += extra;
        seen.resize(want, 0);
    }
    const std::uint64_t mask = std::uint64_t{1} << (bit & 63);
    const bool was = (seen[word] & mask) != 0;
    seen[word] |= mask;
    return was;
}

bool verifier::seen(const stream_state& s, std::uint64_t seq) const noexcept {
    const std::uint64_t bit = seq - 1;
    if (bit < 64) return (s.low_seen >> bit) & 1;
    if (s.more == UINT32_MAX) return false;
    const auto& v = more_seen_[s.more];
    const std::uint64_t word = (bit - 64) >> 6;
    return word < v.size() && ((v[word] >> (bit & 63)) & 1);
}

std::string verifier::describe_key(const trade& t) const {
    std::string out;
    for (auto f : cfg_.key) {
        if (!out.empty()) out += ", ";
        out += trade_field_names[static_cast<std::size_t>(f)];
        out += '=';
        switch (f) {
        case trade_field::seq:
            out += std::to_string(t.seq);
            break;
        case trade_field::source:
            out += std::to_string(t.source);
            break;
        case trade_field::symbol:
            out += t.symbol_view();
            break;
        case trade_field::trader_id:
            out += std::to_string(t.trader_id);
            break;
        case trade_field::price:
            out += std::to_string(t.price);
            break;
        }
    }
    return out;
}

void verifier::check_locality(std::uint32_t p, const trade& t) {
    std::array<std::uint64_t, 5> words{};
    char* b = reinterpret_cast<char*>(words.data());
    std::size_t n = 0;
    for (auto f : cfg_.key) {
        switch (f) {
        case trade_field::seq:
            std::memcpy(b + n, &t.seq, 8), n += 8;
            break;
        case trade_field::source:
            std::memcpy(b + n, &t.source, 4), n += 4;
            break;
        case trade_field::symbol:
            std::memcpy(b + n, t.symbol.data(), 12), n += 12;
            break;
        case trade_field::trader_id:
            std::memcpy(b + n, &t.trader_id, 8), n += 8;
            break;
        case trade_field::price:
            std::memcpy(b + n, &t.price, 8), n += 8;
            break;
        }
    }
    bool inserted = false;
    std::uint64_t& v = locality_->find_or_insert(words.data(), p, inserted);
    if (inserted) return;
    const auto home = static_cast<std::uint32_t>(v);
    if (home == p) return;
    if (!(v & split_flag)) {
        v |= split_flag;
        ++split_keys_;
    }
    if (want_detail())
        add(violation_kind::locality, p,
            "key (" + describe_key(t) + ") arrived at partition " + std::to_string(p) + " after partition " +
                std::to_string(home));
    else
        add(violation_kind::locality, p);
}

void verifier::on_record(partition_id pid, std::string_view rec) {
    const std::uint32_t p = pid.value();
    ++total_;
    ++per_partition_[p];
    trade t;
    const decode_result r = decode(cfg_.format, rec, t, cfg_.max_record_bytes);
    if (r.reason != malformed_reason::none) [[unlikely]] {
        const violation_kind k = malformed_kind(r.reason);
        if (want_detail())
            add(k, p, "partition " + std::to_string(p) + ": " + r.what + ": \"" + printable(rec) + "\"");
        else
            add(k, p);
        return;
    }
    if (t.seq == 0 || (cfg_.check_price && t.price != trade_price(t.seq, t.source, t.symbol, t.trader_id)))
        [[unlikely]] {
        if (want_detail())
            add(violation_kind::corrupt, p,
                "partition " + std::to_string(p) + ": " +
                    (t.seq == 0
                         ? "seq is 0 (sequences start at 1)"
                         : "price " + std::to_string(t.price) + " is not the checksum of the other fields") +
                    ": \"" + printable(rec) + "\"");
        else
            add(violation_kind::corrupt, p);
        return;
    }
    ++valid_;

    const std::uint64_t key[2] = {load64(t.symbol.data()),
                                  load32(t.symbol.data() + 8) | (std::uint64_t{t.source} << 32)};
    bool inserted = false;
    const std::uint64_t idx = streams_.find_or_insert(key, states_.size(), inserted);
    if (inserted) {
        states_.emplace_back();
        states_.back().source = t.source;
        states_.back().symbol = t.symbol;
    }
    stream_state& s = states_[idx];
    std::uint64_t* last;
    if (s.home == p) [[likely]] {
        last = &s.home_last;
    } else if (s.home == UINT32_MAX) {
        s.home = p;
        last = &s.home_last;
    } else {
        const std::uint64_t k = idx << 32 | p;
        last = &off_home_.find_or_insert(&k, 0, inserted);
    }
    const std::uint64_t seq = t.seq;
    bool tracked = false;
    if (seq <= *last) [[unlikely]] {
        const std::uint64_t prev = *last;
        const bool seen = test_and_set(s, seq, tracked);
        const bool dup = seq == prev || seen;
        if (want_detail())
            add(dup ? violation_kind::duplicate : violation_kind::order, p,
                "partition " + std::to_string(p) + ": " + stream_name(t.source, t.symbol_view()) + " seq " +
                    std::to_string(seq) +
                    (dup ? " arrived twice" : " arrived after seq " + std::to_string(prev)));
        else
            add(dup ? violation_kind::duplicate : violation_kind::order, p);
    } else {
        *last = seq;
        if (test_and_set(s, seq, tracked)) [[unlikely]] {
            if (want_detail())
                add(violation_kind::duplicate, p,
                    "partition " + std::to_string(p) + ": " + stream_name(t.source, t.symbol_view()) +
                        " seq " + std::to_string(seq) + " arrived twice (first at another partition)");
            else
                add(violation_kind::duplicate, p);
        }
    }
    if (seq > s.max_seq) s.max_seq = seq;
    if (locality_) check_locality(p, t);
}

void verifier::finish() {
    if (finished_) return;
    finished_ = true;
    if (!cfg_.expect) return;
    const std::uint64_t want = *cfg_.expect;
    if (total_ != want) {
        add(violation_kind::count, UINT32_MAX,
            "received " + std::to_string(total_) + " records, expected " + std::to_string(want) + " (" +
                (total_ < want ? std::to_string(want - total_) + " missing)"
                               : std::to_string(total_ - want) + " extra)"));
    }
    for (const auto& s : states_) {
        if (s.untracked) continue;
        std::uint64_t have = static_cast<std::uint64_t>(std::popcount(s.low_seen));
        if (s.more != UINT32_MAX)
            for (auto w : more_seen_[s.more]) have += static_cast<std::uint64_t>(std::popcount(w));
        if (have >= s.max_seq) continue;
        const std::uint64_t missing = s.max_seq - have;
        missing_seqs_ += missing;
        violation_counts_[static_cast<std::size_t>(violation_kind::gap)] += missing;
        violation_total_ += missing;
        if (want_detail()) {
            std::uint64_t first = 0;
            for (std::uint64_t q = 1; q <= s.max_seq; ++q)
                if (!seen(s, q)) {
                    first = q;
                    break;
                }
            std::string sym(s.symbol.data(), strnlen(s.symbol.data(), s.symbol.size()));
            details_.push_back({violation_kind::gap, UINT32_MAX,
                                stream_name(s.source, sym) + ": " + std::to_string(missing) + " of seq 1.." +
                                    std::to_string(s.max_seq) +
                                    " never arrived (first missing: " + std::to_string(first) + ")"});
        }
    }
}

void verifier::write_json(json_writer& j) const {
    j.key("verdict").value(passed() ? "pass" : "fail");
    j.key("format").value(to_string(cfg_.format));
    j.key("total").value(total_);
    j.key("valid").value(valid_);
    j.key("expected");
    if (cfg_.expect)
        j.value(*cfg_.expect);
    else
        j.null();
    j.key("partitions").value(cfg_.partitions);
    j.key("per_partition").begin_array();
    std::uint64_t max = 0;
    for (auto c : per_partition_) {
        j.value(c);
        max = std::max(max, c);
    }
    j.end_array();
    const double mean = static_cast<double>(total_) / static_cast<double>(cfg_.partitions);
    j.key("skew_max_over_mean").value(total_ ? static_cast<double>(max) / mean : 0.0);
    j.key("datagrams").value(datagrams_);
    j.key("key").begin_array();
    for (auto f : cfg_.key) j.value(trade_field_names[static_cast<std::size_t>(f)]);
    j.end_array();
    j.key("distinct_keys");
    if (locality_)
        j.value(distinct_keys());
    else
        j.null();
    j.key("split_keys").value(split_keys_);
    j.key("distinct_source_symbols").value(distinct_streams());
    j.key("duplicate_tracking")
        .value(std::any_of(states_.begin(), states_.end(), [](const stream_state& s) { return s.untracked; })
                   ? "partial (over memory budget)"
                   : "full");
    j.key("violations").begin_object();
    j.key("total").value(violation_total_);
    j.key("by_kind").begin_object();
    for (std::size_t k = 0; k < violation_kind_count; ++k)
        j.key(to_string(static_cast<violation_kind>(k))).value(violation_counts_[k]);
    j.end_object();
    j.key("first").begin_array();
    for (const auto& d : details_) {
        j.begin_object().key("kind").value(to_string(d.kind));
        j.key("partition");
        if (d.partition == UINT32_MAX)
            j.null();
        else
            j.value(d.partition);
        j.key("detail").value(d.detail).end_object();
    }
    j.end_array();
    j.end_object();
}

// ---- streams -------------------------------------------------------------------

verifier::stream::stream(verifier& v, partition_id p, std::size_t capacity) : v_(&v), p_(p) {
    // fixed: a multiple of the record size, so a full buffer always holds a
    // whole record and is never stuck.
    if (capacity < 4096) capacity = 4096;
    capacity -= capacity % fixed_record_size;
    buf_.resize(capacity);
}

void verifier::stream::commit(std::size_t n) {
    bytes_ += n;
    const std::size_t old = used_;
    used_ += n;
    if (v_->cfg_.format == record_format::fixed) {
        const std::size_t whole = used_ - used_ % fixed_record_size;
        for (std::size_t off = 0; off < whole; off += fixed_record_size)
            v_->on_record(p_, {buf_.data() + off, fixed_record_size});
        std::memmove(buf_.data(), buf_.data() + whole, used_ - whole);
        used_ -= whole;
        return;
    }
    std::size_t start = 0;
    if (discarding_) {
        const void* nl = std::memchr(buf_.data() + old, '\n', used_ - old);
        if (!nl) {
            used_ = 0;
            return;
        }
        start = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.data()) + 1;
        discarding_ = false;
    }
    // Only the new bytes can hold the last newline (the old ones had none).
    const std::size_t scan_from = std::max(old, start);
    const void* last = memrchr(buf_.data() + scan_from, '\n', used_ - scan_from);
    if (last) {
        const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(last) - buf_.data());
        while (start <= end) {
            const char* nl =
                static_cast<const char*>(std::memchr(buf_.data() + start, '\n', end + 1 - start));
            const std::size_t e = static_cast<std::size_t>(nl - buf_.data());
            v_->on_record(p_, {buf_.data() + start, e - start});
            start = e + 1;
        }
    }
    std::memmove(buf_.data(), buf_.data() + start, used_ - start);
    used_ -= start;
    if (used_ == buf_.size()) { // one record fills the buffer: report it and skip to its end
        ++v_->total_;
        ++v_->per_partition_[p_.value()];
        v_->add(violation_kind::malformed_oversized, p_.value(),
                "partition " + std::to_string(p_.value()) + ": record longer than the " +
                    std::to_string(buf_.size()) + "-byte stream buffer: \"" +
                    printable({buf_.data(), buf_.size()}) + "\"");
        used_ = 0;
        discarding_ = true;
    }
}

void verifier::stream::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        const std::size_t n = std::min(bytes.size(), space_size());
        std::memcpy(space(), bytes.data(), n);
        commit(n);
        bytes.remove_prefix(n);
    }
}

void verifier::stream::end() {
    if (used_ > 0 && !discarding_) v_->on_record(p_, {buf_.data(), used_}); // fixed: truncated
    used_ = 0;
    discarding_ = false;
}

} // namespace shardgate::tools
