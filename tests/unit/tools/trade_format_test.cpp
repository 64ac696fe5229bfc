// The tools' own trade codecs: round trips and malformed-record
// classification for fixed, csv and ndjson.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>

#include "tests/unit/tools/printers.hpp"
#include "tools/common/trade.hpp"

using namespace shardgate::tools;

namespace {

trade sample(std::uint64_t seq = 17, std::string_view sym = "AAPL") {
    trade t;
    t.seq = seq;
    t.source = 3;
    t.set_symbol(sym);
    t.trader_id = 42;
    t.price = trade_price(t.seq, t.source, t.symbol, t.trader_id);
    return t;
}

std::string enc(record_format f, const trade& t) {
    std::string s(max_valid_record_size(f), '\0');
    s.resize(encode(f, t, s.data()));
    return s;
}

/// Decodes text without its trailing newline.
decode_result dec(record_format f, std::string_view s, trade& t, std::size_t max = 1024) {
    if (f != record_format::fixed && !s.empty() && s.back() == '\n') s.remove_suffix(1);
    return decode(f, s, t, max);
}

malformed_reason reason(record_format f, std::string_view s) {
    trade t;
    return dec(f, s, t).reason;
}

} // namespace

BOOST_AUTO_TEST_SUITE(trade_format)

BOOST_AUTO_TEST_CASE(encodings_match_the_documented_examples) {
    trade t = sample();
    t.price = 1893400;
    BOOST_TEST(enc(record_format::csv, t) == "17,3,AAPL,42,1893400\n");
    BOOST_TEST(enc(record_format::ndjson, t) ==
               "{\"seq\":17,\"source\":3,\"symbol\":\"AAPL\",\"trader_id\":42,\"price\":1893400}\n");
    const std::string f = enc(record_format::fixed, t);
    BOOST_REQUIRE_EQUAL(f.size(), 40u);
    std::uint64_t seq;
    std::memcpy(&seq, f.data(), 8);
    BOOST_TEST(seq == 17u);
    BOOST_TEST(static_cast<unsigned char>(f[8]) == 3u); // source, little-endian at offset 8
    BOOST_TEST(f.substr(12, 12) == std::string("AAPL\0\0\0\0\0\0\0\0", 12));
    BOOST_TEST(static_cast<unsigned char>(f[24]) == 42u);
}

BOOST_AUTO_TEST_CASE(round_trip_every_format_including_extremes) {
    for (auto f : {record_format::fixed, record_format::csv, record_format::ndjson}) {
        for (std::uint64_t seq : {std::uint64_t{1}, std::uint64_t{1} << 40, UINT64_MAX}) {
            for (std::string_view sym : {"S", "S00000000000", "a~!{}"}) {
                trade t = sample(seq, sym);
                t.source = UINT32_MAX;
                t.trader_id = UINT64_MAX;
                t.price = INT64_MIN;
                const std::string e = enc(f, t);
                BOOST_TEST(e.size() <= max_valid_record_size(f));
                trade back;
                const auto r = dec(f, e, back);
                BOOST_TEST(r.reason == malformed_reason::none, to_string(f) << " " << sym << ": " << r.what);
                BOOST_TEST((back == t), to_string(f) << " round trip of " << e);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(fixed_classifies_truncation_and_bad_symbols) {
    const std::string e = enc(record_format::fixed, sample());
    BOOST_TEST(reason(record_format::fixed, e.substr(0, 39)) == malformed_reason::truncated);
    BOOST_TEST(reason(record_format::fixed, e.substr(0, 1)) == malformed_reason::truncated);
    std::string bad = e;
    bad[12] = '\0'; // empty symbol
    BOOST_TEST(reason(record_format::fixed, bad) == malformed_reason::syntax);
    bad = e;
    bad[18] = 'X'; // a byte after the NUL padding started
    BOOST_TEST(reason(record_format::fixed, bad) == malformed_reason::syntax);
    bad = e;
    bad[13] = '\x01';
    BOOST_TEST(reason(record_format::fixed, bad) == malformed_reason::syntax);
}

BOOST_AUTO_TEST_CASE(csv_quotes_are_stripped_and_checked) {
    trade t;
    BOOST_TEST((dec(record_format::csv, "\"17\",3,\"A\"\"B\",42,-5", t).reason == malformed_reason::none));
    BOOST_TEST(t.seq == 17u);
    BOOST_TEST(t.symbol_view() == "A\"B");
    BOOST_TEST(t.price == -5);
    BOOST_TEST(reason(record_format::csv, "\"17,3,S1,42,5") == malformed_reason::syntax); // unclosed
    BOOST_TEST(reason(record_format::csv, "17,3,\"S\"1\",42,5") ==
               malformed_reason::syntax); // lone quote inside
}

BOOST_AUTO_TEST_CASE(csv_classifies_each_reason) {
    BOOST_TEST(reason(record_format::csv, "17,3") == malformed_reason::missing_key);
    BOOST_TEST(reason(record_format::csv, "17,3,S1,42") == malformed_reason::missing_key);
    BOOST_TEST(reason(record_format::csv, "17,3,,42,5") == malformed_reason::missing_key); // NULL symbol
    BOOST_TEST(reason(record_format::csv, "17,3,S1,42,5,6") == malformed_reason::syntax);
    BOOST_TEST(reason(record_format::csv, "17x,3,S1,42,5") == malformed_reason::syntax);
    BOOST_TEST(reason(record_format::csv, "17,4294967296,S1,42,5") == malformed_reason::syntax);
    BOOST_TEST(reason(record_format::csv, "18446744073709551616,3,S1,42,5") == malformed_reason::syntax);
    BOOST_TEST(reason(record_format::csv, "17,3,S1,42,9223372036854775808") == malformed_reason::syntax);
    BOOST_TEST(reason(record_format::csv, "17,3,S1 X,42,5") == malformed_reason::syntax);
    BOOST_TEST(reason(record_format::csv, "17,3,S123456789012,42,5") == malformed_reason::oversized);
    BOOST_TEST(reason(record_format::csv, "") == malformed_reason::syntax);
    trade t;
    BOOST_TEST((dec(record_format::csv, std::string(2000, '1'), t).reason == malformed_reason::oversized));
    BOOST_TEST((dec(record_format::csv, "17,3,S1,42,5", t, 8).reason == malformed_reason::oversized));
}

BOOST_AUTO_TEST_CASE(ndjson_accepts_any_member_order_whitespace_escapes_and_unknown_members) {
    trade t;
    const auto r =
        dec(record_format::ndjson,
            " { \"price\" : -7 , \"extra\":{\"a\":[1,2.5,\"x\",null,true]}, \"symbol\":\"A\\u0042\\\"\","
            "\"trader_id\":0,\"source\":0,\"seq\":9 } ",
            t);
    BOOST_TEST(r.reason == malformed_reason::none, r.what);
    BOOST_TEST(t.symbol_view() == "AB\"");
    BOOST_TEST(t.price == -7);
    BOOST_TEST(t.seq == 9u);
}

BOOST_AUTO_TEST_CASE(ndjson_classifies_each_reason) {
    const std::string ok = "\"source\":3,\"symbol\":\"S1\",\"trader_id\":42,\"price\":5";
    BOOST_TEST(reason(record_format::ndjson, "{seq:17," + ok + "}") == malformed_reason::syntax);
    BOOST_TEST(reason(record_format::ndjson, "{\"seq\":17," + ok) == malformed_reason::syntax); // cut short
    BOOST_TEST(reason(record_format::ndjson, "{\"seq\":17," + ok + "}x") == malformed_reason::syntax);
    BOOST_TEST(reason(record_format::ndjson, "[\"seq\",17]") == malformed_reason::syntax);
    BOOST_TEST(reason(record_format::ndjson, "{\"seq\":1.5," + ok + "}") == malformed_reason::syntax);
    BOOST_TEST(reason(record_format::ndjson, "{\"seq\":017," + ok + "}") == malformed_reason::syntax);
    BOOST_TEST(reason(record_format::ndjson, "{\"seq\":\"17\"," + ok + "}") == malformed_reason::syntax);
    BOOST_TEST(
        reason(record_format::ndjson, "{\"seq\":17,\"source\":3,\"symbol\":7,\"trader_id\":1,\"price\":5}") ==
        malformed_reason::syntax);
    BOOST_TEST(reason(record_format::ndjson, "{\"seq\":17,\"source\":3}") == malformed_reason::missing_key);
    BOOST_TEST(reason(record_format::ndjson,
                      "{\"seq\":17,\"source\":3,\"symbol\":null,\"trader_id\":1,\"price\":5}") ==
               malformed_reason::missing_key);
    BOOST_TEST(reason(record_format::ndjson, "{\"Seq\":17," + ok + "}") == malformed_reason::missing_key);
    BOOST_TEST(reason(record_format::ndjson,
                      "{\"seq\":17,\"source\":3,\"symbol\":\"S123456789012\",\"trader_id\":1,\"price\":5}") ==
               malformed_reason::oversized);
}

BOOST_AUTO_TEST_CASE(format_and_field_names_are_case_insensitive) {
    BOOST_TEST((find_format("NDJSON") == record_format::ndjson));
    BOOST_TEST(!find_format("json").has_value());
    BOOST_TEST((find_trade_field("Trader_ID") == trade_field::trader_id));
    BOOST_TEST(!find_trade_field("sym").has_value());
}

BOOST_AUTO_TEST_CASE(printable_escapes_binary_and_cuts_long_records) {
    BOOST_TEST(printable(std::string("a\0\n\\", 4)) == "a\\x00\\x0a\\x5c");
    BOOST_TEST(printable(std::string(100, 'x'), 4) == "xxxx...(100 bytes)");
}

BOOST_AUTO_TEST_SUITE_END()
