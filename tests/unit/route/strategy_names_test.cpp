#include <boost/test/unit_test.hpp>

#include "shardgate/strategy.hpp"

using namespace shardgate;

BOOST_AUTO_TEST_SUITE(strategy_names_suite)

BOOST_AUTO_TEST_CASE(canonical_names_and_aliases_case_insensitive) {
    const std::pair<const char*, strategy_kind> cases[] = {
        {"always_hash", strategy_kind::always_hash},   {"HASH", strategy_kind::always_hash},
        {"AlwaysHash", strategy_kind::always_hash},    {"smart_repartition", strategy_kind::smart_repartition},
        {"Smart", strategy_kind::smart_repartition},   {"round_robin", strategy_kind::round_robin},
        {"RoundRobin", strategy_kind::round_robin},    {"RR", strategy_kind::round_robin},
        {"sticky_partition", strategy_kind::sticky_partition}, {"STICKY", strategy_kind::sticky_partition},
        {"fan_in", strategy_kind::fan_in},             {"FanIn", strategy_kind::fan_in},
        {"auto", strategy_kind::automatic},            {" Auto ", strategy_kind::automatic},
    };
    for (auto [name, kind] : cases) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_REQUIRE(find_strategy(name).has_value());
            BOOST_TEST(static_cast<int>(*find_strategy(name)) == static_cast<int>(kind));
        }
    }
    BOOST_TEST(to_string(strategy_kind::sticky_partition) == "sticky_partition");
    BOOST_TEST(to_string(strategy_kind::automatic) == "auto");
}

BOOST_AUTO_TEST_CASE(unknown_names_are_errors_listing_valid_ones) {
    BOOST_TEST(!find_strategy("").has_value());
    BOOST_TEST(!find_strategy("hash_always").has_value());
    BOOST_TEST(!find_strategy("round robin").has_value());
    try {
        (void)parse_strategy("consistent");
        BOOST_FAIL("no exception");
    } catch (const std::invalid_argument& e) {
        const std::string msg = e.what();
        BOOST_TEST(msg.find("'consistent'") != std::string::npos);
        for (const auto& s : strategy_names) BOOST_TEST(msg.find(s.name) != std::string::npos);
        BOOST_TEST(msg.find("rr") != std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
