// The sink's verifier, fed crafted records in-process: it passes clean
// traffic and catches every violation kind.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tests/unit/tools/printers.hpp"
#include "tools/common/generator.hpp"
#include "tools/common/verifier.hpp"

using namespace shardgate::tools;
using shardgate::partition_id;

namespace {

trade make(std::uint64_t seq, std::uint32_t source, std::string_view sym, std::uint64_t trader = 1) {
    trade t;
    t.seq = seq;
    t.source = source;
    t.set_symbol(sym);
    t.trader_id = trader;
    t.price = trade_price(t.seq, t.source, t.symbol, t.trader_id);
    return t;
}

std::string enc(record_format f, const trade& t) {
    std::string s(max_valid_record_size(f), '\0');
    s.resize(encode(f, t, s.data()));
    return s;
}

verifier_config cfg(std::uint32_t partitions, std::vector<trade_field> key = {},
                    std::optional<std::uint64_t> expect = std::nullopt,
                    record_format f = record_format::fixed) {
    verifier_config c;
    c.format = f;
    c.partitions = partitions;
    c.key = std::move(key);
    c.expect = expect;
    return c;
}

void feed(verifier& v, std::uint32_t p, const trade& t) {
    v.on_datagram(partition_id{p}, enc(v.config().format, t));
}

/// The only violation kinds with a non-zero count.
std::string kinds(const verifier& v) {
    std::string out;
    for (std::size_t k = 0; k < violation_kind_count; ++k)
        if (v.violations(static_cast<violation_kind>(k)))
            out +=
                std::string(out.empty() ? "" : ",") + std::string(to_string(static_cast<violation_kind>(k)));
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(verifier_checks)

BOOST_AUTO_TEST_CASE(generated_traffic_split_by_symbol_passes) {
    for (auto f : {record_format::fixed, record_format::csv, record_format::ndjson}) {
        generator_config g;
        g.format = f;
        g.records = 20000;
        g.keys = 300;
        record_generator gen(g);
        verifier v(cfg(4, {trade_field::symbol}, 20000, f));
        std::vector<char> buf(gen.max_record_bytes());
        while (!gen.done()) {
            const auto item = gen.next(buf.data());
            const trade& t = gen.last_trade();
            // partition by symbol, as a hashing router would
            const auto p = static_cast<std::uint32_t>(t.symbol[1] + t.symbol[2] + t.symbol[3]) % 4;
            v.on_datagram(partition_id{p}, {buf.data(), item.length});
        }
        v.finish();
        BOOST_TEST(v.passed(), to_string(f) << ": " << kinds(v));
        BOOST_TEST(v.total() == 20000u);
        BOOST_TEST(v.distinct_keys() == 300u);
        BOOST_TEST(v.distinct_streams() == 1200u);
        std::uint64_t sum = 0;
        for (auto c : v.per_partition()) sum += c;
        BOOST_TEST(sum == 20000u);
    }
}

BOOST_AUTO_TEST_CASE(round_robin_traffic_passes_without_a_key) {
    // records of one (source, symbol) spread over partitions stay in order
    // within each partition: fine without a locality key
    verifier v(cfg(3, {}, 300));
    for (std::uint64_t s = 1; s <= 300; ++s) feed(v, static_cast<std::uint32_t>(s % 3), make(s, 0, "S1"));
    v.finish();
    BOOST_TEST(v.passed(), kinds(v));
}

BOOST_AUTO_TEST_CASE(reorder_within_a_partition_is_an_order_violation) {
    verifier v(cfg(1));
    feed(v, 0, make(1, 0, "S1"));
    feed(v, 0, make(3, 0, "S1"));
    feed(v, 0, make(2, 0, "S1"));
    v.finish();
    BOOST_TEST(kinds(v) == "order");
    BOOST_TEST(v.violations() == 1u);
    BOOST_REQUIRE(!v.details().empty());
    BOOST_TEST(v.details()[0].detail.find("seq 2 arrived after seq 3") != std::string::npos,
               v.details()[0].detail);
}

BOOST_AUTO_TEST_CASE(duplicates_are_caught_in_one_partition_and_across_partitions) {
    verifier v(cfg(2));
    feed(v, 0, make(1, 0, "S1"));
    feed(v, 0, make(1, 0, "S1")); // same partition, same seq
    feed(v, 1, make(2, 0, "S1"));
    feed(v, 0, make(2, 0, "S1")); // seq 2 again, at another partition
    feed(v, 0, make(1, 7, "S1")); // another source: its own sequence, fine
    BOOST_TEST(kinds(v) == "duplicate");
    BOOST_TEST(v.violations(violation_kind::duplicate) == 2u);
}

BOOST_AUTO_TEST_CASE(old_records_replayed_after_newer_ones_are_duplicates_not_reorders) {
    verifier v(cfg(1));
    for (std::uint64_t s = 1; s <= 200; ++s) feed(v, 0, make(s, 0, "S1")); // beyond the 64 inline bits
    feed(v, 0, make(150, 0, "S1"));
    feed(v, 0, make(3, 0, "S1"));
    BOOST_TEST(kinds(v) == "duplicate");
    BOOST_TEST(v.violations() == 2u);
}

BOOST_AUTO_TEST_CASE(a_key_at_two_partitions_is_a_locality_violation) {
    verifier v(cfg(2, {trade_field::symbol}));
    feed(v, 0, make(1, 0, "S1"));
    feed(v, 0, make(1, 1, "S2"));
    feed(v, 1, make(1, 2, "S1")); // S1 again, other partition
    feed(v, 1, make(2, 2, "S1"));
    BOOST_TEST(kinds(v) == "locality");
    BOOST_TEST(v.violations() == 2u);
    BOOST_TEST(v.split_keys() == 1u);
    BOOST_TEST(v.details()[0].detail.find("symbol=S1") != std::string::npos, v.details()[0].detail);
}

BOOST_AUTO_TEST_CASE(composite_keys_compare_every_column) {
    verifier v(cfg(2, {trade_field::source, trade_field::symbol}));
    feed(v, 0, make(1, 0, "S1"));
    feed(v, 1, make(1, 1, "S1")); // same symbol, other source: another key
    BOOST_TEST(v.passed());
    feed(v, 1, make(2, 0, "S1"));
    BOOST_TEST(kinds(v) == "locality");
    verifier t(cfg(2, {trade_field::trader_id}));
    feed(t, 0, make(1, 0, "S1", 5));
    feed(t, 1, make(1, 0, "S2", 5));
    BOOST_TEST(kinds(t) == "locality");
}

BOOST_AUTO_TEST_CASE(malformed_records_are_violations_by_reason) {
    verifier v(cfg(1, {}, std::nullopt, record_format::csv));
    v.on_record(partition_id{0}, "\"1,0,S1,1,5");
    v.on_record(partition_id{0}, "1,0");
    v.on_record(partition_id{0}, "1,0,S1234567890123,1,5");
    verifier f(cfg(1));
    f.on_datagram(partition_id{0},
                  enc(record_format::fixed, make(1, 0, "S1")) + "abc"); // trailing partial record
    BOOST_TEST(kinds(v) == "malformed_syntax,malformed_missing_key,malformed_oversized");
    BOOST_TEST(kinds(f) == "malformed_truncated");
    BOOST_TEST(f.valid() == 1u);
    BOOST_TEST(f.total() == 2u);
}

BOOST_AUTO_TEST_CASE(altered_records_are_corrupt) {
    verifier v(cfg(1));
    trade t = make(1, 0, "S1");
    t.trader_id = 99; // price no longer matches
    feed(v, 0, t);
    feed(v, 0, make(0, 0, "S1")); // seq 0
    BOOST_TEST(kinds(v) == "corrupt");
    BOOST_TEST(v.violations() == 2u);
    auto c = cfg(1);
    c.check_price = false;
    verifier lax(c);
    feed(lax, 0, t);
    BOOST_TEST(lax.passed());
}

BOOST_AUTO_TEST_CASE(expect_reports_count_mismatches_and_gaps) {
    verifier few(cfg(1, {}, 4));
    for (std::uint64_t s : {1, 2, 4}) feed(few, 0, make(s, 0, "S1"));
    few.finish();
    few.finish(); // idempotent
    BOOST_TEST(kinds(few) == "count,gap");
    BOOST_TEST(few.missing_seqs() == 1u);
    BOOST_TEST(few.violations() == 2u);
    bool gap_detail = false;
    for (const auto& d : few.details())
        gap_detail |= d.kind == violation_kind::gap && d.detail.find("first missing: 3") != std::string::npos;
    BOOST_TEST(gap_detail);

    verifier extra(cfg(1, {}, 2));
    for (std::uint64_t s : {1, 2, 3}) feed(extra, 0, make(s, 0, "S1"));
    extra.finish();
    BOOST_TEST(kinds(extra) == "count");
    BOOST_TEST(extra.details().back().detail.find("1 extra") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_frames_reported_from_outside_count) {
    verifier v(cfg(2));
    v.report(violation_kind::bad_frame, 1, "x.pcap frame 3: bad UDP checksum");
    BOOST_TEST(kinds(v) == "bad_frame");
    BOOST_TEST(!v.passed());
}

BOOST_AUTO_TEST_CASE(details_are_capped_but_counts_are_not) {
    auto c = cfg(1);
    c.max_details = 3;
    verifier v(c);
    for (int i = 0; i < 50; ++i) v.on_record(partition_id{0}, "short");
    BOOST_TEST(v.violations(violation_kind::malformed_truncated) == 50u);
    BOOST_TEST(v.details().size() == 3u);
}

BOOST_AUTO_TEST_CASE(streams_reassemble_records_split_anywhere) {
    for (auto f : {record_format::fixed, record_format::csv, record_format::ndjson}) {
        std::string bytes;
        for (std::uint64_t s = 1; s <= 50; ++s) bytes += enc(f, make(s, 1, "S7"));
        for (std::size_t step : {1u, 3u, 39u, 41u, 1000u}) {
            verifier v(cfg(1, {trade_field::symbol}, 50, f));
            verifier::stream s(v, partition_id{0});
            for (std::size_t o = 0; o < bytes.size(); o += step)
                s.feed(std::string_view(bytes).substr(o, step));
            s.end();
            v.finish();
            BOOST_TEST(v.passed(), to_string(f) << " step " << step << ": " << kinds(v));
            BOOST_TEST(v.total() == 50u);
        }
    }
}

BOOST_AUTO_TEST_CASE(stream_tails_last_text_record_may_omit_newline_fixed_tail_is_truncated) {
    verifier t(cfg(1, {}, 2, record_format::ndjson));
    verifier::stream s(t, partition_id{0});
    std::string two =
        enc(record_format::ndjson, make(1, 0, "S1")) + enc(record_format::ndjson, make(2, 0, "S1"));
    two.pop_back();
    s.feed(two);
    s.end();
    t.finish();
    BOOST_TEST(t.passed(), kinds(t));

    verifier f(cfg(1));
    verifier::stream fs(f, partition_id{0});
    fs.feed(enc(record_format::fixed, make(1, 0, "S1")).substr(0, 30));
    fs.end();
    BOOST_TEST(kinds(f) == "malformed_truncated");
}

BOOST_AUTO_TEST_CASE(a_text_record_longer_than_the_stream_buffer_is_skipped_as_oversized) {
    verifier v(cfg(1, {}, std::nullopt, record_format::csv));
    verifier::stream s(v, partition_id{0}, 4096);
    s.feed(std::string(10000, 'x') + "\n");
    s.feed(enc(record_format::csv, make(1, 0, "S1")));
    s.end();
    BOOST_TEST(kinds(v) == "malformed_oversized");
    BOOST_TEST(v.valid() == 1u);
}

BOOST_AUTO_TEST_CASE(text_datagrams_split_on_newlines_and_flag_blank_lines) {
    verifier v(cfg(1, {}, std::nullopt, record_format::csv));
    const std::string a = enc(record_format::csv, make(1, 0, "S1"));
    std::string b = enc(record_format::csv, make(2, 0, "S1"));
    b.pop_back();
    v.on_datagram(partition_id{0}, a + b); // last newline omitted: fine
    BOOST_TEST(v.passed());
    BOOST_TEST(v.valid() == 2u);
    v.on_datagram(partition_id{0}, "\n");
    BOOST_TEST(kinds(v) == "malformed_syntax");
}

BOOST_AUTO_TEST_CASE(bad_configs_are_refused) {
    BOOST_CHECK_THROW(verifier{cfg(0)}, std::invalid_argument);
    BOOST_CHECK_THROW((verifier{cfg(1, {trade_field::symbol, trade_field::symbol})}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
