// The generator: determinism, per-(source, symbol) sequences, malformed
// records, datagram packing, zipf.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/tools/printers.hpp"
#include "tools/common/cli.hpp"
#include "tools/common/generator.hpp"

using namespace shardgate::tools;

namespace {

/// Every datagram the config produces, packed at `limit` bytes.
std::vector<std::string> datagrams(const generator_config& cfg, std::size_t limit = 1472,
                                   bool final_newline = true) {
    record_generator g(cfg);
    record_packer p(g, final_newline);
    std::vector<std::string> out;
    std::string buf(limit, '\0');
    for (;;) {
        const auto r = p.next_datagram(buf.data(), limit);
        if (r.bytes == 0) break;
        out.emplace_back(buf.data(), r.bytes);
    }
    return out;
}

generator_config config(record_format f, std::uint64_t records) {
    generator_config c;
    c.format = f;
    c.records = records;
    return c;
}

/// Splits datagrams into records (text: by newline).
std::vector<std::string> records_of(record_format f, const std::vector<std::string>& dgrams) {
    std::vector<std::string> out;
    for (const auto& d : dgrams) {
        if (f == record_format::fixed) {
            for (std::size_t o = 0; o < d.size(); o += fixed_record_size)
                out.push_back(d.substr(o, fixed_record_size));
            continue;
        }
        std::size_t s = 0;
        while (s < d.size()) {
            auto e = d.find('\n', s);
            if (e == std::string::npos) e = d.size();
            out.push_back(d.substr(s, e - s));
            s = e + 1;
        }
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(generator)

BOOST_AUTO_TEST_CASE(same_seed_same_bytes_other_seed_other_bytes) {
    for (auto f : {record_format::fixed, record_format::csv, record_format::ndjson}) {
        auto c = config(f, 5000);
        c.dist = key_dist::zipf;
        c.malformed_every = 7;
        const auto a = datagrams(c);
        const auto b = datagrams(c);
        BOOST_TEST((a == b), to_string(f));
        c.seed = 2;
        BOOST_TEST((a != datagrams(c)), to_string(f));
    }
}

BOOST_AUTO_TEST_CASE(seq_starts_at_one_and_counts_each_source_symbol) {
    auto c = config(record_format::csv, 20000);
    c.keys = 50;
    c.sources = 3;
    const auto recs = records_of(c.format, datagrams(c));
    BOOST_REQUIRE_EQUAL(recs.size(), 20000u);
    std::map<std::pair<std::uint32_t, std::string>, std::uint64_t> last;
    std::map<std::string, int> symbols;
    for (const auto& r : recs) {
        trade t;
        BOOST_REQUIRE(decode(c.format, r, t).reason == malformed_reason::none);
        auto& l = last[{t.source, std::string(t.symbol_view())}];
        BOOST_REQUIRE_EQUAL(t.seq, l + 1);
        l = t.seq;
        BOOST_TEST(t.source < 3u);
        BOOST_TEST(t.trader_id < 100u);
        BOOST_TEST(t.price == trade_price(t.seq, t.source, t.symbol, t.trader_id));
        ++symbols[std::string(t.symbol_view())];
    }
    BOOST_TEST(symbols.size() == 50u);
    BOOST_TEST(symbols.begin()->first == "S00");
    BOOST_TEST(symbols.rbegin()->first == "S49");
}

BOOST_AUTO_TEST_CASE(symbol_names_are_zero_padded_to_the_cardinality) {
    BOOST_TEST(symbol_name(7, 1000) == "S007");
    BOOST_TEST(symbol_name(0, 1) == "S0");
    BOOST_TEST(symbol_name(99999999999ULL, max_keys) == "S99999999999");
    auto c = config(record_format::fixed, 10);
    c.keys = max_keys;
    BOOST_CHECK_NO_THROW(record_generator{c}); // sparse sequence table
    c.keys = max_keys + 1;
    BOOST_CHECK_THROW(record_generator{c}, std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(malformed_records_cycle_reasons_and_do_not_consume_seq) {
    for (auto f : {record_format::csv, record_format::ndjson}) {
        auto c = config(f, 3000);
        c.malformed_every = 10;
        record_generator g(c);
        std::vector<char> buf(g.max_record_bytes());
        std::map<std::pair<std::uint32_t, std::string>, std::uint64_t> last;
        std::uint64_t i = 0;
        while (!g.done()) {
            ++i;
            const auto item = g.next(buf.data());
            std::string_view rec(buf.data(), item.length);
            BOOST_REQUIRE(rec.back() == '\n');
            rec.remove_suffix(1);
            trade t;
            const auto r = decode(f, rec, t);
            BOOST_REQUIRE_EQUAL(r.reason, item.reason);
            if (i % 10 == 0) {
                static constexpr malformed_reason cycle[] = {
                    malformed_reason::syntax, malformed_reason::missing_key, malformed_reason::oversized};
                BOOST_REQUIRE(item.reason == cycle[(i / 10 - 1) % 3]);
                if (item.reason == malformed_reason::oversized) BOOST_TEST(item.length == c.oversized_bytes);
                continue;
            }
            BOOST_REQUIRE(item.reason == malformed_reason::none);
            auto& l = last[{t.source, std::string(t.symbol_view())}];
            BOOST_REQUIRE_EQUAL(t.seq, l + 1);
            l = t.seq;
        }
        BOOST_TEST(g.valid() == 2700u);
        BOOST_TEST(g.malformed(malformed_reason::syntax) == 100u);
        BOOST_TEST(g.malformed(malformed_reason::missing_key) == 100u);
        BOOST_TEST(g.malformed(malformed_reason::oversized) == 100u);
    }
}

BOOST_AUTO_TEST_CASE(fixed_truncated_records_end_their_datagram) {
    auto c = config(record_format::fixed, 1000);
    c.malformed_every = 5;
    const auto d = datagrams(c, 400);
    std::uint64_t records = 0;
    std::uint64_t truncated = 0;
    for (const auto& x : d) {
        BOOST_TEST(x.size() <= 400u);
        records += x.size() / 40 + (x.size() % 40 ? 1 : 0);
        truncated += x.size() % 40 ? 1 : 0;
    }
    BOOST_TEST(records == 1000u);
    BOOST_TEST(truncated == 200u);
    // in a byte stream a truncated fixed record would shift the rest: refused
    c.datagrams = false;
    BOOST_CHECK_THROW(record_generator{c}, std::invalid_argument);
    c.format = record_format::csv;
    c.malformed_reasons = {malformed_reason::truncated};
    BOOST_CHECK_THROW(record_generator{c}, std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(datagrams_hold_whole_records_within_the_limit) {
    for (auto f : {record_format::fixed, record_format::csv, record_format::ndjson}) {
        auto c = config(f, 4000);
        const auto d = datagrams(c, 1000);
        std::size_t n = 0;
        for (const auto& x : d) {
            BOOST_TEST(x.size() <= 1000u);
            if (f == record_format::fixed)
                BOOST_TEST(x.size() % 40 == 0u);
            else
                BOOST_TEST(x.back() == '\n');
        }
        const auto recs = records_of(f, d);
        BOOST_TEST(recs.size() == 4000u);
        for (const auto& r : recs) {
            trade t;
            n += decode(f, r, t).reason == malformed_reason::none;
        }
        BOOST_TEST(n == 4000u);
        if (f != record_format::fixed) { // the final newline may be dropped
            const auto nd = datagrams(c, 1000, false);
            BOOST_REQUIRE_EQUAL(nd.size(), d.size());
            for (std::size_t i = 0; i < d.size(); ++i) BOOST_TEST(nd[i] + "\n" == d[i]);
        }
    }
}

BOOST_AUTO_TEST_CASE(first_source_shifts_source_ids_and_nothing_else) {
    auto c = config(record_format::fixed, 5000);
    c.sources = 3;
    const auto base = records_of(c.format, datagrams(c));
    c.first_source = 100;
    const auto shifted = records_of(c.format, datagrams(c));
    BOOST_REQUIRE_EQUAL(base.size(), shifted.size());
    std::set<std::uint32_t> used;
    for (std::size_t i = 0; i < base.size(); ++i) {
        trade a, b;
        BOOST_REQUIRE(decode(c.format, base[i], a).reason == malformed_reason::none);
        BOOST_REQUIRE(decode(c.format, shifted[i], b).reason == malformed_reason::none);
        BOOST_REQUIRE_EQUAL(b.source, a.source + 100);
        BOOST_REQUIRE_EQUAL(b.seq, a.seq); // the same (source, symbol) sequences, renamed
        BOOST_REQUIRE(b.symbol_view() == a.symbol_view());
        BOOST_REQUIRE_EQUAL(b.price, trade_price(b.seq, b.source, b.symbol, b.trader_id));
        used.insert(b.source);
    }
    BOOST_TEST((used == std::set<std::uint32_t>{100, 101, 102}));
    c.first_source = UINT32_MAX - 1; // sources UINT32_MAX - 1 .. UINT32_MAX + 1: does not fit
    BOOST_CHECK_EXCEPTION(record_generator{c}, std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("first source") == 0;
    });
}

BOOST_AUTO_TEST_CASE(bad_configs_are_refused_with_the_setting_named) {
    auto c = config(record_format::fixed, 0);
    BOOST_CHECK_EXCEPTION(record_generator{c}, std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("records") == 0;
    });
    c.records = 1;
    c.sources = 0;
    BOOST_CHECK_THROW(record_generator{c}, std::invalid_argument);
    c.sources = 1;
    c.dist = key_dist::zipf;
    c.zipf_s = 0;
    BOOST_CHECK_THROW(record_generator{c}, std::invalid_argument);
    c = config(record_format::csv, 10);
    c.malformed_every = 2;
    c.oversized_bytes = 50; // not larger than a valid record
    BOOST_CHECK_THROW(record_generator{c}, std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(zipf_frequencies_follow_the_power_law) {
    const double s = 1.1;
    const std::uint64_t n = 1000;
    zipf_sampler z(n, s);
    rng r(42);
    std::vector<std::uint64_t> hits(n + 1, 0);
    const std::uint64_t draws = 400000;
    for (std::uint64_t i = 0; i < draws; ++i) {
        const auto k = z(r);
        BOOST_REQUIRE(k >= 1 && k <= n);
        ++hits[k];
    }
    double h = 0;
    for (std::uint64_t k = 1; k <= n; ++k) h += std::pow(static_cast<double>(k), -s);
    for (std::uint64_t k : {1, 2, 5, 20}) {
        const double expected = static_cast<double>(draws) * std::pow(static_cast<double>(k), -s) / h;
        // five standard deviations of a binomial count: fails only on a real bias
        BOOST_TEST(std::abs(static_cast<double>(hits[k]) - expected) < 5 * std::sqrt(expected),
                   "rank " << k << ": " << hits[k] << " hits, expected " << expected);
    }
    // tail mass beyond rank 100 matches too
    double tail_expected = 0;
    std::uint64_t tail = 0;
    for (std::uint64_t k = 101; k <= n; ++k) {
        tail_expected += static_cast<double>(draws) * std::pow(static_cast<double>(k), -s) / h;
        tail += hits[k];
    }
    BOOST_TEST(std::abs(static_cast<double>(tail) - tail_expected) < 5 * std::sqrt(tail_expected));
}

BOOST_AUTO_TEST_CASE(zipf_handles_s_equal_one_and_huge_n) {
    rng r(1);
    zipf_sampler one(10, 1.0);
    std::uint64_t first = 0;
    for (int i = 0; i < 100000; ++i) first += one(r) == 1;
    // P(1) = 1 / H(10) = 0.3414
    BOOST_TEST(std::abs(static_cast<double>(first) / 100000 - 0.3414) < 0.01);
    zipf_sampler huge(max_keys, 1.1);
    for (int i = 0; i < 1000; ++i) {
        const auto k = huge(r);
        BOOST_REQUIRE(k >= 1 && k <= max_keys);
    }
}

BOOST_AUTO_TEST_CASE(kafka_murmur2_matches_kafkas_own_test_vectors) {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const std::pair<std::string, std::int32_t> cases[] = {
        {"21", -973932308},
        {"foobar", -790332482},
        {"a-little-bit-long-string", -985981536},
        {"a-little-bit-longer-string", -1486304829},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
        {"abc", 479470107},
    };
    for (const auto& [text, want] : cases)
        BOOST_TEST(static_cast<std::int32_t>(kafka_murmur2(text.data(), text.size())) == want, text);
}

BOOST_AUTO_TEST_CASE(source_by_key_aligns_sources_with_kafka_partitions_of_the_symbol) {
    auto c = config(record_format::csv, 5000);
    c.sources = 8;
    c.source_by = source_mode::kafka_murmur2;
    std::map<std::string, std::uint32_t> source_of;
    for (const auto& r : records_of(c.format, datagrams(c))) {
        trade t;
        BOOST_REQUIRE(decode(c.format, r, t).reason == malformed_reason::none);
        const auto sym = t.symbol_view();
        BOOST_REQUIRE_EQUAL(t.source, (kafka_murmur2(sym.data(), sym.size()) & 0x7fffffffu) % 8);
        source_of[std::string(sym)] = t.source;
    }
    std::set<std::uint32_t> used;
    for (const auto& [sym, src] : source_of) used.insert(src);
    BOOST_TEST(used.size() == 8u); // 1000 symbols cover every source
}

BOOST_AUTO_TEST_CASE(rng_is_specified_bit_for_bit) {
    // xoshiro256** seeded by splitmix64(0): first output is fixed forever, so
    // a seed means the same traffic on every machine and library.
    rng a(0), b(0);
    const auto x = a.next();
    BOOST_TEST(x == b.next());
    BOOST_TEST(x == 0x99ec5f36cb75f2b4ULL);
    for (int i = 0; i < 1000; ++i) BOOST_REQUIRE(a.below(7) < 7u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tools_cli)

namespace {
arg_parser parser() {
    return arg_parser("t", "", {{"records", "N", "", ""}, {"rate", "R", "0", ""}, {"quiet", "", "", ""}});
}
void parse(arg_parser& p, std::vector<std::string> args) {
    std::vector<char*> argv{const_cast<char*>("t")};
    for (auto& a : args) argv.push_back(a.data());
    p.parse(static_cast<int>(argv.size()), argv.data());
}
std::string error_of(std::vector<std::string> args) {
    auto p = parser();
    try {
        parse(p, std::move(args));
        (void)p.get_u64("records", 0, 1, 100);
    } catch (const usage_error& e) {
        return e.what();
    }
    return "";
}
} // namespace

BOOST_AUTO_TEST_CASE(flags_parse_both_spellings_and_the_last_wins) {
    auto p = parser();
    parse(p, {"--records", "5", "--rate=7", "--quiet", "--records=9"});
    BOOST_TEST(p.get_u64("records", 0) == 9u);
    BOOST_TEST(p.get_u64("rate", 0) == 7u);
    BOOST_TEST(p.has("quiet"));
    BOOST_TEST(p.get_u64("absent", 42) == 42u);
}

BOOST_AUTO_TEST_CASE(bad_flags_name_the_flag_the_value_and_what_was_expected) {
    BOOST_TEST(error_of({"--nope"}) == "unknown flag '--nope' (see --help)");
    BOOST_TEST(error_of({"--records"}) == "flag '--records' needs a value (N)");
    BOOST_TEST(error_of({"--quiet=1"}) == "flag '--quiet' takes no value");
    BOOST_TEST(error_of({"stray"}) == "unexpected argument 'stray' (every argument is a --flag; see --help)");
    BOOST_TEST(error_of({"--records", "0"}) == "--records: expected an integer in [1, 100], got '0'");
    BOOST_TEST(error_of({"--records", "12x"}) == "--records: expected an integer in [1, 100], got '12x'");
    BOOST_TEST(error_of({"--records", "99999999999999999999999"}) ==
               "--records: expected an integer in [1, 100], got '99999999999999999999999'");
}

BOOST_AUTO_TEST_CASE(endpoints_parse_and_check_the_port_range) {
    const endpoint e = parse_endpoint("udp", "127.0.0.1:9000", 16);
    BOOST_TEST(e.port == 9000);
    BOOST_TEST(e.with_port_offset(15).to_string() == "127.0.0.1:9015");
    BOOST_TEST(parse_endpoint("udp", "localhost:9000").family == AF_INET);
    BOOST_TEST(parse_endpoint("udp", "[::1]:9000").to_string() == "[::1]:9000");
    auto msg = [](std::string_view text, std::uint32_t n = 1) {
        try {
            (void)parse_endpoint("tcp", text, n);
        } catch (const usage_error& err) {
            return std::string(err.what());
        }
        return std::string();
    };
    BOOST_TEST(msg("9000") == "--tcp: expected HOST:PORT, got '9000'");
    BOOST_TEST(msg("h:0") == "--tcp: expected a port in [1, 65535], got '0' in 'h:0'");
    BOOST_TEST(msg("127.0.0.1:65530", 16) == "--tcp: ports 65530..65545 run past 65535");
}

BOOST_AUTO_TEST_SUITE_END()
