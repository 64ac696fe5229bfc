#include <boost/test/unit_test.hpp>

#include <string>

#include "control/plan/plan_format.hpp"
#include "control/plan/planner.hpp"

using namespace shardgate;
using namespace shardgate::control;

namespace {
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
} // namespace

BOOST_AUTO_TEST_SUITE(plan_format_suite)

BOOST_AUTO_TEST_CASE(json_strings_are_escaped_and_always_utf8) {
    BOOST_TEST(json_string("a\"b\\c\n\t\x01") == "\"a\\\"b\\\\c\\n\\t\\u0001\"");
    BOOST_TEST(json_string("caf\xc3\xa9") == "\"caf\xc3\xa9\"");            // valid UTF-8 kept
    BOOST_TEST(json_string("\xff") == "\"\\ufffd\"");                       // invalid byte replaced
    BOOST_TEST(json_string("\xc0\xaf") == "\"\\ufffd\\ufffd\"");            // overlong form
    BOOST_TEST(json_string("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\""); // surrogate
}

BOOST_AUTO_TEST_CASE(json_has_the_documented_fields) {
    const plan p = plan_query("SELECT UPPER(sym), COUNT(*) FROM t GROUP BY UPPER(sym)", {});
    const std::string j = format_plan_json(p);
    BOOST_TEST(j.front() == '{');
    BOOST_TEST(j.substr(j.size() - 2) == "}\n");
    BOOST_TEST(j.find('\n') == j.size() - 1); // one line
    for (const char* field : {"\"query_kind\":\"select\"", "\"strategy\":\"always_hash\"",
                              "\"origin\":\"automatic\"", "\"routing_keys\":[\"UPPER(sym)\"]",
                              "\"key_programs\":[[{\"op\":\"field\",\"text\":\"sym\"},{\"op\":\"upper\"}]]",
                              "\"partitions\":8", "\"hash\":\"xxh3\"", "\"seed\":0", "\"key_groups\":4096",
                              "\"fan_in_target\":0", "\"reason\":\"", "\"warnings\":["})
        BOOST_TEST(has(j, field), field);
    BOOST_TEST(!has(j, "source_keys"));
}

BOOST_AUTO_TEST_CASE(json_of_a_join_lists_every_source) {
    const plan p = plan_query("SELECT * FROM orders o JOIN customers c ON o.customer_id = c.id", {});
    const std::string j = format_plan_json(p);
    BOOST_TEST(has(j, "\"source_keys\":{\"orders\":[\"customer_id\"],\"customers\":[\"id\"]}"), j);
    BOOST_TEST(has(j,
                   "\"sources\":[{\"source\":\"orders\",\"alias\":\"o\",\"routing_keys\":[\"customer_id\"]},"
                   "{\"source\":\"customers\",\"alias\":\"c\",\"routing_keys\":[\"id\"]}]"),
               j);
}

BOOST_AUTO_TEST_CASE(text_names_strategy_keys_partitions_reason_and_warnings) {
    const plan p = plan_query("-- @partitioning_strategy: sticky\nSELECT a, COUNT(*) FROM t GROUP BY a", {});
    const std::string t = format_plan_text(p);
    BOOST_TEST(has(t, "query:      select\n"), t);
    BOOST_TEST(has(t, "strategy:   sticky_partition (from annotation)\n"), t);
    BOOST_TEST(has(t, "partitions: 8\n"), t);
    BOOST_TEST(has(t, "reason:     GROUP BY a needs"), t);
    BOOST_TEST(has(t, "warning:    sticky_partition keeps"), t);
    const plan h = plan_query("SELECT a, COUNT(*) FROM t GROUP BY a", {});
    BOOST_TEST(has(format_plan_text(h), "keys:       a\npartitions: 8 (xxh3, seed 0, 4096 key groups)\n"));
    const plan f = plan_query("SELECT COUNT(*) FROM t", {});
    BOOST_TEST(has(format_plan_text(f), "partitions: 8 (all records to partition 0)\n"));
}

BOOST_AUTO_TEST_SUITE_END()
