#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dataplane/decode/record_decoder.hpp"
#include "shardgate/hash.hpp"
#include "shardgate/key.hpp"
#include "tools/bench/trade_format.hpp"

using namespace shardgate;

namespace {

struct trade {
    std::uint64_t seq;
    std::uint32_t source;
    std::string symbol;
    std::uint64_t trader;
    std::int64_t price;
};

void put_fixed(std::string& out, const trade& t) {
    char rec[40] = {};
    std::memcpy(rec, &t.seq, 8);
    std::memcpy(rec + 8, &t.source, 4);
    std::memcpy(rec + 12, t.symbol.data(), std::min<std::size_t>(t.symbol.size(), 12));
    std::memcpy(rec + 24, &t.trader, 8);
    std::memcpy(rec + 32, &t.price, 8);
    out.append(rec, 40);
}

std::string csv_of(const trade& t) {
    return std::to_string(t.seq) + "," + std::to_string(t.source) + "," + t.symbol + "," +
           std::to_string(t.trader) + "," + std::to_string(t.price);
}

std::string json_of(const trade& t) {
    return "{\"seq\":" + std::to_string(t.seq) + ",\"source\":" + std::to_string(t.source) +
           ",\"symbol\":\"" + t.symbol + "\",\"trader_id\":" + std::to_string(t.trader) +
           ",\"price\":" + std::to_string(t.price) + "}";
}

struct collect final : reject_sink {
    std::vector<std::pair<std::string, reject_reason>> got;
    void reject(std::span<const std::byte> r, reject_reason why) noexcept override {
        got.emplace_back(std::string(reinterpret_cast<const char*>(r.data()), r.size()), why);
    }
};

/// Decodes one datagram (with rx_padding after it) into a burst.
struct harness {
    record_decoder dec;
    record_burst burst;
    collect rejects;
    counter_block counters;
    std::string storage;

    harness(const record_format& f, std::vector<key_expr> keys, std::uint32_t max_rec = 4096)
        : dec(f, keys, max_rec) {}

    void decode(const std::string& datagram, source_partition sp = unknown_source_partition) {
        storage = datagram + std::string(rx_padding, '\0');
        rx_chunk c{reinterpret_cast<const std::byte*>(storage.data()),
                   static_cast<std::uint32_t>(datagram.size()), sp, 0, chunk_none};
        burst.size = 0;
        std::uint32_t off = 0;
        while (!dec.decode(c, off, burst, max_burst, rejects, counters)) {
        }
        dec.extract_all_keys(burst);
    }
    std::string key(std::uint32_t i) const {
        return {reinterpret_cast<const char*>(burst.keys[i].data), burst.keys[i].length};
    }
};

const std::vector<trade> trades{{1, 3, "AAPL", 42, 1893400}, {2, 0, "MSFT", 7, -5}, {1, 2, "S00001", 0, 0}};

} // namespace

BOOST_AUTO_TEST_SUITE(record_decoder_suite)

BOOST_AUTO_TEST_CASE(the_same_trade_gives_the_same_key_in_every_format) {
    const std::vector<key_expr> keys{column_key("trader_id"), column_key("symbol")};
    harness fx(bench::trade_format(format_kind::fixed), keys),
        cx(bench::trade_format(format_kind::csv), keys), jx(bench::trade_format(format_kind::ndjson), keys);
    std::string fixed, csv, json;
    for (const auto& t : trades) {
        put_fixed(fixed, t);
        csv += csv_of(t) + "\n";
        json += json_of(t) + "\n";
    }
    fx.decode(fixed);
    cx.decode(csv);
    jx.decode(json);
    for (harness* h : {&fx, &cx, &jx}) {
        BOOST_REQUIRE_EQUAL(h->burst.size, trades.size());
        BOOST_TEST(h->rejects.got.empty());
        BOOST_TEST(h->counters.get(counter::records_in) == trades.size());
    }
    for (std::uint32_t i = 0; i < trades.size(); ++i) {
        BOOST_TEST(fx.key(i) == cx.key(i));
        BOOST_TEST(fx.key(i) == jx.key(i));
        for (harness* h : {&fx, &cx, &jx}) {
            BOOST_TEST(h->burst.source_partitions[i].value() == trades[i].source);
            BOOST_TEST(h->burst.sequences[i] == trades[i].seq);
        }
    }
    // Records are views of the bytes as they arrived.
    BOOST_TEST(std::string(cx.burst.records[1].text()) == csv_of(trades[1]));
    BOOST_TEST(std::string(jx.burst.records[2].text()) == json_of(trades[2]));
    BOOST_TEST(fx.burst.records[1].length == 40u);
}

BOOST_AUTO_TEST_CASE(single_string_key_is_the_raw_value) {
    harness fx(bench::trade_format(format_kind::fixed), {column_key("symbol")});
    std::string fixed;
    put_fixed(fixed, trades[0]);
    fx.decode(fixed);
    BOOST_TEST(fx.key(0) == "AAPL"); // NUL padding is not part of the value
}

BOOST_AUTO_TEST_CASE(metadata_asked_for_is_filled_and_eager_keys_match_extracted_ones) {
    std::string fixed;
    for (const auto& t : trades) put_fixed(fixed, t);
    harness all(bench::trade_format(format_kind::fixed), {column_key("symbol")});
    all.decode(fixed);
    for (const std::uint8_t wanted :
         {std::uint8_t{metadata_none}, std::uint8_t{metadata_keys},
          std::uint8_t{metadata_source_partition | metadata_keys}, std::uint8_t{metadata_sequence}}) {
        harness h(bench::trade_format(format_kind::fixed), {column_key("symbol")});
        h.dec.set_metadata(wanted);
        h.burst.keys.fill({}); // eager or not, every key must be there after extraction
        h.decode(fixed);
        BOOST_REQUIRE_EQUAL(h.burst.size, trades.size());
        for (std::uint32_t i = 0; i < trades.size(); ++i) {
            BOOST_TEST(h.key(i) == all.key(i));
            BOOST_TEST((h.burst.key_states[i] == key_status::ok));
            if (wanted & metadata_source_partition)
                BOOST_TEST(h.burst.source_partitions[i].value() == trades[i].source);
            if (wanted & metadata_sequence) BOOST_TEST(h.burst.sequences[i] == trades[i].seq);
        }
    }
    BOOST_TEST(all.key(0) == "AAPL");
    BOOST_TEST(all.burst.sequences[1] == 2u);
}

BOOST_AUTO_TEST_CASE(string_keys_of_every_field_size_lose_only_their_trailing_nuls) {
    // Field sizes around the 16-byte single-load path, values of every
    // length including empty ones and inner NULs; eager (sliced while
    // framing) and extracted keys must both be the value without padding.
    for (const std::uint32_t size : {1u, 4u, 15u, 16u, 17u, 31u}) {
        record_format f;
        f.kind = format_kind::fixed;
        f.record_size = size + 3;
        f.fields = {{"pad", field_type::u8, 0, 1}, {"k", field_type::str, 1, size}};
        std::string data;
        std::vector<std::string> expected;
        for (std::uint32_t len = 0; len <= size; ++len) {
            std::string v(len, 'x');
            if (len >= 3) v[1] = '\0'; // an inner NUL is part of the value
            std::string rec(f.record_size, '\0');
            rec[0] = 'P';
            rec.replace(1, len, v);
            rec[f.record_size - 1] = 'Z'; // bytes after the field are not part of it
            data += rec;
            expected.push_back(v);
        }
        for (const std::uint8_t wanted : {std::uint8_t{metadata_none}, std::uint8_t{metadata_keys}}) {
            harness h(f, {column_key("k")});
            h.dec.set_metadata(wanted);
            h.decode(data);
            BOOST_REQUIRE_EQUAL(h.burst.size, expected.size());
            for (std::uint32_t i = 0; i < expected.size(); ++i)
                BOOST_TEST(h.key(i) == expected[i], "size " << size << " value length " << i);
        }
        // When the router hashes every key, a field of at most 16 bytes is
        // left to the hash, which reads it from each record; a longer one
        // is sliced as before.
        harness h(f, {column_key("k")});
        h.dec.set_metadata(metadata_keys);
        h.decode(data);
        if (size <= 16) h.burst.keys.fill({}); // not read: the router's hash reads the records
        const field_key field = h.dec.extract_all_keys_or_field(h.burst);
        std::vector<key_ref> keys(h.burst.size);
        if (size <= 16) {
            BOOST_TEST(field.offset == 1u);
            BOOST_TEST(field.size == size);
            slice_field_keys(std::span(h.burst.records.data(), h.burst.size), field.offset, field.size, keys);
        } else {
            BOOST_TEST(field.size == 0u);
            std::copy_n(h.burst.keys.begin(), h.burst.size, keys.begin());
        }
        BOOST_REQUIRE_EQUAL(keys.size(), expected.size());
        for (std::uint32_t i = 0; i < expected.size(); ++i)
            BOOST_TEST(std::string(reinterpret_cast<const char*>(keys[i].data), keys[i].length) ==
                           expected[i],
                       "size " << size << " value length " << i << " (key read by the router)");
        // decode() itself: in that mode it frames the records only, leaving
        // keys and key states as they were; a longer field is sliced while
        // framing.
        record_burst fresh;
        fresh.size = 0;
        fresh.key_states.fill(key_status::missing);
        const rx_chunk c{reinterpret_cast<const std::byte*>(h.storage.data()),
                         static_cast<std::uint32_t>(data.size()), unknown_source_partition, 0, chunk_none};
        std::uint32_t off = 0;
        BOOST_REQUIRE(h.dec.decode(c, off, fresh, max_burst, h.rejects, h.counters));
        BOOST_REQUIRE_EQUAL(fresh.size, expected.size());
        for (std::uint32_t i = 0; i < fresh.size; ++i)
            BOOST_TEST((fresh.key_states[i] == (size <= 16 ? key_status::missing : key_status::ok)),
                       "size " << size << " record " << i);
    }
    // Not when some keys are not wanted, nor for other key shapes.
    harness none(bench::trade_format(format_kind::fixed), {column_key("symbol")});
    none.dec.set_metadata(metadata_none);
    BOOST_TEST(none.dec.extract_all_keys_or_field(none.burst).size == 0u);
    harness two(bench::trade_format(format_kind::fixed), {column_key("symbol"), column_key("trader_id")});
    two.dec.set_metadata(metadata_keys);
    BOOST_TEST(two.dec.extract_all_keys_or_field(two.burst).size == 0u);
}

BOOST_AUTO_TEST_CASE(composite_fixed_keys_are_the_canonical_encoding_of_every_field_type) {
    // Keys of several plain fields are encoded straight from the record:
    // every integer width (masked, i32 sign-extended) and str sizes around
    // the one-move copy of 16 bytes, next to bytes that are not theirs.
    record_format f;
    f.kind = format_kind::fixed;
    f.record_size = 88;
    f.fields = {{"a8", field_type::u8, 0, 1},      {"a16", field_type::u16, 1, 2},
                {"a32", field_type::u32, 3, 4},    {"s32", field_type::i32, 7, 4},
                {"a64", field_type::u64, 11, 8},   {"s64", field_type::i64, 19, 8},
                {"t5", field_type::str, 27, 5},    {"t16", field_type::str, 32, 16},
                {"t17", field_type::str, 48, 17},  {"tail", field_type::u64, 65, 8},
                {"wide", field_type::int64, 73, 8}}; // 64 bits, as fixed_value reads it
    std::mt19937_64 rng(7);
    std::string data;
    std::vector<std::string> records;
    for (int r = 0; r < 200; ++r) {
        std::string rec(f.record_size, '\0');
        for (auto& c : rec) c = static_cast<char>(rng()); // integers: every bit pattern
        for (const auto& [at, size] : {std::pair{27u, 5u}, {32u, 16u}, {48u, 17u}}) {
            const std::uint32_t len = static_cast<std::uint32_t>(rng() % (size + 1));
            for (std::uint32_t k = 0; k < size; ++k)
                rec[at + k] = k < len ? static_cast<char>('a' + rng() % 26) : '\0';
            if (len >= 3) rec[at + 1] = '\0'; // an inner NUL is part of the value
        }
        records.push_back(rec);
        data += rec;
    }
    const auto value = [&](const std::string& rec, const field_spec& fs) {
        const auto* p = reinterpret_cast<const std::byte*>(rec.data()) + fs.offset;
        std::uint64_t raw = 0;
        switch (fs.type) {
        case field_type::str: {
            std::uint32_t n = fs.size;
            while (n > 0 && p[n - 1] == std::byte{0}) --n;
            return key_value::of_string(std::string_view(reinterpret_cast<const char*>(p), n));
        }
        case field_type::i32: {
            std::int32_t v;
            std::memcpy(&v, p, 4);
            return key_value::of_int(v);
        }
        case field_type::int64:
            std::memcpy(&raw, p, 8);
            return key_value::of_int(static_cast<std::int64_t>(raw));
        default:
            std::memcpy(&raw, p, fixed_width(fs.type));
            return key_value::of_int(static_cast<std::int64_t>(raw));
        }
    };
    const std::vector<std::vector<std::string>> key_sets{{"a8", "t5"},
                                                         {"s32", "t16", "a16"},
                                                         {"t17", "a64", "s64", "a32"},
                                                         {"t5", "t16", "t17"},
                                                         {"tail", "s32", "wide"}};
    for (const auto& names : key_sets) {
        std::vector<key_expr> keys;
        for (const auto& n : names) keys.push_back(column_key(n));
        harness h(f, keys);
        h.decode(data);
        BOOST_REQUIRE_EQUAL(h.burst.size, records.size());
        std::vector<std::string> expected;
        for (const auto& rec : records) {
            std::vector<key_value> vals;
            for (const auto& n : names) vals.push_back(value(rec, f.fields[*f.find_field(n)]));
            std::string out(canonical_key_size(vals), '\0');
            BOOST_REQUIRE(encode_canonical_key(vals, std::as_writable_bytes(std::span(out))) == out.size());
            expected.push_back(out);
        }
        for (std::uint32_t i = 0; i < records.size(); ++i) {
            BOOST_TEST(h.key(i) == expected[i], "keys " << names.front() << ".., record " << i);
            BOOST_TEST((h.burst.key_states[i] == key_status::ok));
        }
        // The per-record path (smart_repartition's samples) gives the same
        // keys, and writing them leaves their neighbours' keys intact.
        std::vector<std::uint16_t> odd;
        for (std::uint16_t i = 1; i < records.size(); i += 2) {
            odd.push_back(i);
            h.burst.keys[i] = {};
        }
        h.dec.extract_keys(h.burst, odd);
        for (std::uint32_t i = 0; i < records.size(); ++i)
            BOOST_TEST(h.key(i) == expected[i], "after sampling, record " << i);
    }
}

BOOST_AUTO_TEST_CASE(fixed_trailing_partial_record_is_truncated) {
    harness fx(bench::trade_format(format_kind::fixed), {column_key("symbol")});
    std::string d;
    put_fixed(d, trades[0]);
    put_fixed(d, trades[1]);
    d += std::string(13, 'x');
    fx.decode(d);
    BOOST_TEST(fx.burst.size == 2u);
    BOOST_REQUIRE_EQUAL(fx.rejects.got.size(), 1u);
    BOOST_TEST((fx.rejects.got[0].second == reject_reason::truncated));
    BOOST_TEST(fx.rejects.got[0].first.size() == 13u);
    BOOST_TEST(fx.counters.get(counter::records_in) == 3u);
}

BOOST_AUTO_TEST_CASE(record_divider_is_exact_over_32_bits) {
    std::mt19937_64 rng(5);
    const std::uint32_t top = 0xffffffffu;
    for (const std::uint32_t d : {1u, 2u, 3u, 7u, 40u, 41u, 1000u, 65535u, 65537u, 0x7fffffffu, 0x80000000u,
                                  0x80000001u, top - 1, top}) {
        const record_divider div(d);
        std::vector<std::uint32_t> ns = {0u, 1u, d - 1, d, d + 1, top, top - 1, top - d, top / 2};
        for (int k = 0; k < 2000; ++k) ns.push_back(static_cast<std::uint32_t>(rng()));
        for (const std::uint32_t n : ns) BOOST_TEST_REQUIRE(div(n) == n / d, n << " / " << d);
    }
}

BOOST_AUTO_TEST_CASE(fixed_framing_counts_whole_records_for_every_record_size) {
    // Whole records per chunk are found without a division: check the count
    // and the trailing partial record for sizes 1 (the special case), small,
    // odd, the trade size and large, over chunk lengths around multiples.
    for (const std::uint32_t rs : {1u, 2u, 3u, 7u, 40u, 41u, 64u, 1000u, 4095u}) {
        record_format f;
        f.kind = format_kind::fixed;
        f.record_size = rs;
        f.fields = {{"k", field_type::str, 0, 1}};
        for (const std::uint32_t len :
             {rs - 1, rs, rs + 1, 3 * rs - 1, 3 * rs, 3 * rs + 1, 200 * rs + rs / 2}) {
            if (len == 0) continue;
            harness fx(f, {column_key("k")}, 65536);
            fx.decode(std::string(len, 'r'));
            const std::uint32_t whole = len / rs, rest = len % rs;
            BOOST_TEST_CONTEXT("record_size " << rs << ", chunk " << len) {
                BOOST_TEST(fx.counters.get(counter::records_in) == whole + (rest ? 1u : 0u));
                BOOST_TEST(fx.rejects.got.size() == (rest ? 1u : 0u));
                if (rest) BOOST_TEST(fx.rejects.got[0].first.size() == rest);
                BOOST_TEST(fx.burst.size == whole); // at most 200: below max_burst
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(csv_malformed_records_are_rejected_by_reason_and_others_kept) {
    harness cx(bench::trade_format(format_kind::csv), {column_key("symbol")});
    const std::string d = csv_of(trades[0]) + "\n" +   // ok
                          "1,2,AAPL,3\n" +             // too few columns (the key is there)
                          "1,2\n" +                    // too few columns: no key column
                          "1,2,AAPL,3,4,5\n" +         // too many columns
                          "x,2,AAPL,3,4\n" +           // not an int in an int column
                          "1,2,\"unterminated,3,4\n" + // bad quote
                          "\n" +                       // empty line
                          "5,1,\"A,\"\"B\",3,4\r\n" +  // quoted with comma and escaped quote, CRLF
                          "6,1,,3,4";                  // empty = NULL key, last line without newline
    cx.decode(d);
    BOOST_REQUIRE_EQUAL(cx.burst.size, 3u);
    BOOST_TEST(cx.key(0) == "AAPL");
    BOOST_TEST(cx.key(1) == "A,\"B");
    BOOST_TEST((cx.burst.key_states[2] == key_status::ok)); // NULL is a value
    BOOST_TEST(cx.key(2) != "NULL");
    BOOST_REQUIRE_EQUAL(cx.rejects.got.size(), 6u);
    for (const auto& [rec, why] : cx.rejects.got)
        BOOST_TEST((why == (rec == "1,2" ? reject_reason::missing_key : reject_reason::syntax)), rec);
    BOOST_TEST(cx.counters.get(counter::records_in) == 9u);
}

BOOST_AUTO_TEST_CASE(ndjson_missing_fields_bad_json_and_unhashable_values) {
    harness jx(bench::trade_format(format_kind::ndjson), {column_key("symbol")});
    const std::string d = json_of(trades[0]) + "\n" + "{\"seq\":1,\"source\":1}\n" + // no symbol: missing key
                          "{\"seq\":1,\"symbol\":\"A\"\n" +                          // bad JSON
                          "[1,2]\n" +                                                // not an object
                          "{\"symbol\":{\"a\":1}}\n" +                               // object as key
                          "{\"symbol\":\"esc\\u0041\\n\"}\n" +                       // escapes are unescaped
                          "{\"symbol\":null}";                                       // NULL key
    jx.decode(d);
    BOOST_REQUIRE_EQUAL(jx.burst.size, 5u);
    BOOST_TEST(jx.key(0) == "AAPL");
    BOOST_TEST((jx.burst.key_states[1] == key_status::missing));
    BOOST_TEST((jx.burst.key_states[2] == key_status::bad_value));
    BOOST_TEST(jx.key(3) == "escA\n");
    BOOST_TEST((jx.burst.key_states[4] == key_status::ok));
    BOOST_REQUIRE_EQUAL(jx.rejects.got.size(), 2u);
    BOOST_TEST((jx.rejects.got[0].second == reject_reason::syntax));
    BOOST_TEST((jx.rejects.got[1].second == reject_reason::syntax));
}

BOOST_AUTO_TEST_CASE(oversized_records_and_chunks) {
    harness jx(bench::trade_format(format_kind::ndjson), {column_key("symbol")}, 64);
    const std::string big = "{\"symbol\":\"" + std::string(100, 'x') + "\"}";
    jx.decode(big + "\n" + json_of(trades[1]));
    BOOST_TEST(jx.burst.size == 1u);
    BOOST_REQUIRE_EQUAL(jx.rejects.got.size(), 1u);
    BOOST_TEST((jx.rejects.got[0].second == reject_reason::oversized));

    // A stream source's oversized fragment counts once.
    std::string frag(64 + rx_padding, 'y');
    rx_chunk c{reinterpret_cast<const std::byte*>(frag.data()), 64, unknown_source_partition, 0,
               chunk_oversized};
    std::uint32_t off = 0;
    jx.burst.size = 0;
    BOOST_TEST(jx.dec.decode(c, off, jx.burst, max_burst, jx.rejects, jx.counters));
    BOOST_TEST(jx.burst.size == 0u);
    BOOST_TEST((jx.rejects.got.back().second == reject_reason::oversized));
}

BOOST_AUTO_TEST_CASE(strings_that_fill_a_bursts_scratch_end_the_burst_and_lose_no_record) {
    // Each record's 3000-byte symbol is unescaped into the burst's string
    // scratch (1 KiB per record of a full burst, 256 KiB): after 87 of them
    // the next does not fit, and it starts the next burst instead of being
    // rejected. (The key is then too long to route, but that is the key's
    // verdict, not the decoder's.)
    harness jx(bench::trade_format(format_kind::ndjson), {column_key("symbol")});
    constexpr std::uint32_t total = 200, fit = 256 * 1024 / 3000;
    std::string d;
    for (std::uint32_t r = 0; r < total; ++r)
        d += "{\"seq\":" + std::to_string(r) + ",\"symbol\":\"" + std::string(3000, char('a' + r % 26)) +
             "\"}\n";
    jx.storage = d + std::string(rx_padding, '\0');
    const rx_chunk c{reinterpret_cast<const std::byte*>(jx.storage.data()),
                     static_cast<std::uint32_t>(d.size()), unknown_source_partition, 0, chunk_none};
    std::uint32_t off = 0, decoded = 0, bursts = 0;
    bool used_up = false;
    while (!used_up) {
        jx.burst.size = 0;
        used_up = jx.dec.decode(c, off, jx.burst, max_burst, jx.rejects, jx.counters);
        ++bursts;
        BOOST_REQUIRE(jx.burst.size > 0u);
        BOOST_TEST(jx.burst.size == std::min(fit, total - decoded));
        for (std::uint32_t i = 0; i < jx.burst.size; ++i) {
            const std::string rec(reinterpret_cast<const char*>(jx.burst.records[i].data),
                                  jx.burst.records[i].length);
            BOOST_TEST(rec.find("\"seq\":" + std::to_string(decoded + i) + ",") != std::string::npos);
        }
        decoded += jx.burst.size;
        BOOST_REQUIRE(bursts <= 4u);
    }
    BOOST_TEST(decoded == total);
    BOOST_TEST(bursts == 3u);
    BOOST_TEST(jx.rejects.got.empty());
    BOOST_TEST(jx.counters.get(counter::records_in) == total);
    BOOST_TEST(jx.counters.get(counter::bytes_in) == d.size() - total); // every record, without its newline

    // One record's strings larger than that minimum still fit alone: the
    // scratch holds any record up to max_record_bytes.
    harness big(bench::trade_format(format_kind::ndjson), {column_key("symbol")}, 400 * 1024);
    big.decode("{\"symbol\":\"" + std::string(300 * 1024, 'z') + "\"}");
    BOOST_TEST(big.burst.size == 1u);
    BOOST_TEST(big.rejects.got.empty());
}

BOOST_AUTO_TEST_CASE(source_partition_comes_from_the_chunk_unless_the_format_carries_it) {
    record_format f = bench::trade_format(format_kind::fixed);
    f.source_partition_field.clear();
    harness fx(f, {column_key("symbol")});
    std::string d;
    put_fixed(d, trades[0]);
    fx.decode(d, source_partition{9});
    BOOST_TEST(fx.burst.source_partitions[0].value() == 9u);
}

BOOST_AUTO_TEST_CASE(bursts_stop_at_capacity_and_resume) {
    harness fx(bench::trade_format(format_kind::fixed), {column_key("symbol")});
    std::string d;
    for (int i = 0; i < 10; ++i) put_fixed(d, trades[i % 3]);
    fx.storage = d + std::string(rx_padding, '\0');
    rx_chunk c{reinterpret_cast<const std::byte*>(fx.storage.data()), static_cast<std::uint32_t>(d.size()),
               unknown_source_partition, 0, chunk_none};
    std::uint32_t off = 0;
    fx.burst.size = 0;
    BOOST_TEST(!fx.dec.decode(c, off, fx.burst, 4, fx.rejects, fx.counters));
    BOOST_TEST(fx.burst.size == 4u);
    BOOST_TEST(off == 160u);
    fx.burst.size = 0;
    BOOST_TEST(!fx.dec.decode(c, off, fx.burst, 4, fx.rejects, fx.counters));
    fx.burst.size = 0;
    BOOST_TEST(fx.dec.decode(c, off, fx.burst, 4, fx.rejects, fx.counters));
    BOOST_TEST(fx.burst.size == 2u);
    BOOST_TEST(fx.counters.get(counter::records_in) == 10u);
}

BOOST_AUTO_TEST_CASE(keys_on_undeclared_fields_are_refused_at_setup) {
    BOOST_CHECK_THROW(record_decoder(bench::trade_format(format_kind::fixed),
                                     std::vector<key_expr>{column_key("venue")}, 4096),
                      std::invalid_argument);
    BOOST_CHECK_THROW(record_decoder(bench::trade_format(format_kind::csv),
                                     std::vector<key_expr>{column_key("venue")}, 4096),
                      std::invalid_argument);
    // ndjson members need no declaration.
    BOOST_CHECK_NO_THROW(record_decoder(bench::trade_format(format_kind::ndjson),
                                        std::vector<key_expr>{column_key("venue")}, 4096));
}

BOOST_AUTO_TEST_SUITE_END()
