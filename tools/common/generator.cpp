#include "tools/common/generator.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace shardgate::tools {

namespace {
unsigned digits_of(std::uint64_t v) noexcept {
    unsigned d = 1;
    while (v >= 10) {
        v /= 10;
        ++d;
    }
    return d;
}
// Dense per-(source, symbol) sequence table up to this many entries (128 MiB).
constexpr std::uint64_t dense_seq_limit = std::uint64_t{1} << 24;
} // namespace

std::uint32_t kafka_murmur2(const void* data, std::size_t length) noexcept {
    const auto* d = static_cast<const unsigned char*>(data);
    constexpr std::uint32_t m = 0x5bd1e995;
    std::uint32_t h = 0x9747b28cu ^ static_cast<std::uint32_t>(length);
    const std::size_t whole = length / 4 * 4;
    for (std::size_t i = 0; i < whole; i += 4) {
        std::uint32_t k = static_cast<std::uint32_t>(d[i]) | static_cast<std::uint32_t>(d[i + 1]) << 8 |
                          static_cast<std::uint32_t>(d[i + 2]) << 16 |
                          static_cast<std::uint32_t>(d[i + 3]) << 24;
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    switch (length % 4) {
    case 3:
        h ^= static_cast<std::uint32_t>(d[whole + 2]) << 16;
        [[fallthrough]];
    case 2:
        h ^= static_cast<std::uint32_t>(d[whole + 1]) << 8;
        [[fallthrough]];
    case 1:
        h ^= d[whole];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

std::vector<malformed_reason> expressible_reasons(record_format f, bool datagrams) {
    if (f == record_format::fixed) {
        if (datagrams) return {malformed_reason::truncated};
        return {};
    }
    return {malformed_reason::syntax, malformed_reason::missing_key, malformed_reason::oversized};
}

std::string symbol_name(std::uint64_t index, std::uint64_t keys) {
    const unsigned width = digits_of(keys > 0 ? keys - 1 : 0);
    const std::string digits = std::to_string(index);
    std::string s = "S";
    s.append(width > digits.size() ? width - digits.size() : 0, '0');
    s += digits;
    return s;
}

record_generator::record_generator(generator_config cfg) : cfg_(std::move(cfg)), rng_(cfg_.seed) {
    if (cfg_.records == 0) throw std::invalid_argument("records must be at least 1, got 0");
    if (cfg_.keys == 0 || cfg_.keys > max_keys)
        throw std::invalid_argument("keys must be in [1, " + std::to_string(max_keys) +
                                    "] (symbols are \"S\" plus up to 11 digits), got " +
                                    std::to_string(cfg_.keys));
    if (cfg_.traders == 0) throw std::invalid_argument("traders must be at least 1, got 0");
    if (cfg_.sources == 0) throw std::invalid_argument("sources must be at least 1, got 0");
    if (cfg_.first_source > UINT32_MAX - (cfg_.sources - 1))
        throw std::invalid_argument("first source + sources - 1 must fit 32 bits, got " +
                                    std::to_string(cfg_.first_source) + " + " + std::to_string(cfg_.sources) +
                                    " - 1");
    if (cfg_.dist == key_dist::zipf && !(cfg_.zipf_s > 0 && std::isfinite(cfg_.zipf_s)))
        throw std::invalid_argument("zipf exponent must be a finite number > 0, got " +
                                    std::to_string(cfg_.zipf_s));
    const auto possible = expressible_reasons(cfg_.format, cfg_.datagrams);
    if (cfg_.malformed_every > 0) {
        if (cfg_.malformed_reasons.empty()) cfg_.malformed_reasons = possible;
        if (cfg_.malformed_reasons.empty())
            throw std::invalid_argument(
                "fixed records in a byte stream cannot be malformed without shifting every record after "
                "them; malformed records need --udp/--pcap or a text format");
        for (auto r : cfg_.malformed_reasons)
            if (r == malformed_reason::none ||
                std::find(possible.begin(), possible.end(), r) == possible.end())
                throw std::invalid_argument("format " + std::string(to_string(cfg_.format)) +
                                            " cannot express malformed reason " + std::string(to_string(r)));
    }
    const bool oversized =
        cfg_.malformed_every > 0 && std::find(cfg_.malformed_reasons.begin(), cfg_.malformed_reasons.end(),
                                              malformed_reason::oversized) != cfg_.malformed_reasons.end();
    const std::size_t min_oversized = max_valid_record_size(cfg_.format) + 1;
    if (oversized && cfg_.oversized_bytes < min_oversized)
        throw std::invalid_argument("oversized record length must be at least " +
                                    std::to_string(min_oversized) + " bytes for format " +
                                    std::string(to_string(cfg_.format)) + ", got " +
                                    std::to_string(cfg_.oversized_bytes));
    max_record_ = max_valid_record_size(cfg_.format);
    if (oversized) max_record_ = std::max(max_record_, cfg_.oversized_bytes);
    const bool syntax =
        cfg_.malformed_every > 0 && std::find(cfg_.malformed_reasons.begin(), cfg_.malformed_reasons.end(),
                                              malformed_reason::syntax) != cfg_.malformed_reasons.end();
    if (syntax && cfg_.format == record_format::csv) ++max_record_; // a csv syntax record adds one quote
    if (cfg_.dist == key_dist::zipf) zipf_.emplace(cfg_.keys, cfg_.zipf_s);
    symbol_digits_ = digits_of(cfg_.keys - 1);
    const unsigned __int128 cells = static_cast<unsigned __int128>(cfg_.sources) * cfg_.keys;
    if (cells <= dense_seq_limit) {
        dense_seq_.assign(static_cast<std::size_t>(cells), 0);
    } else {
        sparse_seq_.emplace(2, std::min<std::uint64_t>(cfg_.records, 1u << 20));
    }
}

std::uint64_t& record_generator::seq_slot(std::uint32_t source, std::uint64_t symbol) {
    if (!dense_seq_.empty()) return dense_seq_[static_cast<std::size_t>(source * cfg_.keys + symbol)];
    const std::uint64_t key[2] = {source, symbol};
    bool inserted = false;
    return sparse_seq_->find_or_insert(key, 0, inserted);
}

void record_generator::make_symbol(std::uint64_t index,
                                   std::array<char, symbol_capacity>& out) const noexcept {
    out.fill('\0');
    out[0] = 'S';
    for (unsigned i = symbol_digits_; i > 0; --i) {
        out[i] = static_cast<char>('0' + index % 10);
        index /= 10;
    }
}

record_generator::item record_generator::next(char* out) {
    ++produced_;
    // Every record draws the same values, malformed or not, so the valid
    // records around a malformed one do not depend on --malformed-every.
    auto source = static_cast<std::uint32_t>(rng_.below(cfg_.sources));
    const std::uint64_t symbol = zipf_ ? (*zipf_)(rng_)-1 : rng_.below(cfg_.keys);
    const std::uint64_t trader = rng_.below(cfg_.traders);
    trade t;
    make_symbol(symbol, t.symbol);
    if (cfg_.source_by == source_mode::kafka_murmur2) // the random draw above still happens: same stream
        source = (kafka_murmur2(t.symbol.data(), t.symbol_view().size()) & 0x7fffffffu) % cfg_.sources;
    std::uint64_t& seq = seq_slot(source, symbol);
    t.seq = seq + 1;
    t.source = cfg_.first_source + source;
    t.trader_id = trader;
    t.price = trade_price(t.seq, t.source, t.symbol, t.trader_id);

    if (cfg_.malformed_every > 0 && produced_ % cfg_.malformed_every == 0) {
        const malformed_reason r = cfg_.malformed_reasons[malformed_total_ % cfg_.malformed_reasons.size()];
        last_ = t;
        const std::size_t n = encode_malformed(r, malformed_total_, out);
        ++malformed_total_;
        ++malformed_[static_cast<std::size_t>(r)];
        return {n, r};
    }
    seq = t.seq;
    ++valid_;
    last_ = t;
    return {encode(cfg_.format, t, out), malformed_reason::none};
}

std::size_t record_generator::encode_malformed(malformed_reason r, std::uint64_t nth, char* out) const {
    const trade& t = last_;
    switch (r) {
    case malformed_reason::truncated: { // fixed only: 1..39 bytes of a record
        encode(record_format::fixed, t, out);
        return 1 + static_cast<std::size_t>(nth * 7 % (fixed_record_size - 1));
    }
    case malformed_reason::syntax: {
        if (cfg_.format == record_format::csv) { // an unclosed quote opens the first field
            out[0] = '"';
            return 1 + encode(record_format::csv, t, out + 1);
        }
        // ndjson: the first member name without its quotes: {seq:17,...}
        const std::size_t n = encode(record_format::ndjson, t, out);
        std::memmove(out + 1, out + 2, 3);     // {"seq" -> {seq
        std::memmove(out + 4, out + 6, n - 6); // drop the closing quote
        return n - 2;
    }
    case malformed_reason::missing_key: { // only seq and source
        std::string s =
            cfg_.format == record_format::csv
                ? std::to_string(t.seq) + "," + std::to_string(t.source) + "\n"
                : "{\"seq\":" + std::to_string(t.seq) + ",\"source\":" + std::to_string(t.source) + "}\n";
        std::memcpy(out, s.data(), s.size());
        return s.size();
    }
    case malformed_reason::oversized: { // a symbol padded with 'X' to oversized_bytes in all
        trade u = t;
        u.set_symbol("S");
        const std::size_t base = encode(cfg_.format, u, out);
        const std::size_t pad = cfg_.oversized_bytes - base;
        // insert the padding right after the symbol's "S"
        const std::string_view enc(out, base);
        const std::size_t at =
            (cfg_.format == record_format::csv ? enc.find(",S,") + 1 : enc.find("\"symbol\":\"S") + 10) + 1;
        std::memmove(out + at + pad, out + at, base - at);
        std::memset(out + at, 'X', pad);
        return base + pad;
    }
    case malformed_reason::none:
        break;
    }
    return 0;
}

record_packer::record_packer(record_generator& g, bool final_newline)
    : g_(g), final_newline_(final_newline), pending_(g.max_record_bytes()) {}

record_packer::packed record_packer::fill(char* buf, std::size_t limit, std::uint64_t max_records,
                                          bool datagram) {
    packed p;
    while (p.records < max_records) {
        if (!has_pending_) {
            if (g_.done()) break;
            pending_item_ = g_.next(pending_.data());
            has_pending_ = true;
        }
        if (p.bytes + pending_item_.length > limit) break;
        std::memcpy(buf + p.bytes, pending_.data(), pending_item_.length);
        p.bytes += pending_item_.length;
        ++p.records;
        ++emitted_;
        has_pending_ = false;
        if (datagram && pending_item_.reason == malformed_reason::truncated) break;
    }
    if (datagram && !final_newline_ && g_.config().format != record_format::fixed && p.bytes > 0 &&
        buf[p.bytes - 1] == '\n')
        --p.bytes;
    return p;
}

record_packer::packed record_packer::next_datagram(char* buf, std::size_t limit, std::uint64_t max_records) {
    return fill(buf, limit, max_records, true);
}
record_packer::packed record_packer::next_chunk(char* buf, std::size_t limit, std::uint64_t max_records) {
    return fill(buf, limit, max_records, false);
}

} // namespace shardgate::tools
