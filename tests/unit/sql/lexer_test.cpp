#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>

#include "control/sql/lexer.hpp"

using namespace shardgate::sql;

namespace shardgate::sql {
std::ostream& operator<<(std::ostream& os, token_kind k) {
    return os << "token_kind(" << static_cast<int>(k) << ")";
}
} // namespace shardgate::sql

namespace {

std::string error_of(std::string_view src) {
    try {
        (void)lex(src);
    } catch (const parse_error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

BOOST_AUTO_TEST_SUITE(lexer_suite)

BOOST_AUTO_TEST_CASE(token_kinds_text_and_values) {
    const lexed l =
        lex("SELECT \"Sym\"\"x\", `b`, 'it''s', 42, 1.5, 2e3, 100ms, 5s, 1m, 1h, 1d <> != <= >= || %");
    std::vector<token_kind> kinds;
    for (const auto& t : l.tokens) kinds.push_back(t.kind);
    const std::vector<token_kind> want{token_kind::identifier, token_kind::quoted_identifier,
                                       token_kind::symbol,     token_kind::quoted_identifier,
                                       token_kind::symbol,     token_kind::string,
                                       token_kind::symbol,     token_kind::integer,
                                       token_kind::symbol,     token_kind::decimal,
                                       token_kind::symbol,     token_kind::decimal,
                                       token_kind::symbol,     token_kind::duration,
                                       token_kind::symbol,     token_kind::duration,
                                       token_kind::symbol,     token_kind::duration,
                                       token_kind::symbol,     token_kind::duration,
                                       token_kind::symbol,     token_kind::duration,
                                       token_kind::symbol,     token_kind::symbol,
                                       token_kind::symbol,     token_kind::symbol,
                                       token_kind::symbol,     token_kind::symbol,
                                       token_kind::end};
    BOOST_TEST(kinds == want, boost::test_tools::per_element());
    BOOST_TEST(l.tokens[1].value == "Sym\"x");
    BOOST_TEST(l.tokens[1].text == "\"Sym\"\"x\"");
    BOOST_TEST(l.tokens[3].value == "b");
    BOOST_TEST(l.tokens[5].value == "it's");
    BOOST_TEST(l.tokens[7].number == 42u);
    BOOST_TEST(l.tokens[13].number == 100u);
    BOOST_TEST(l.tokens[15].number == 5'000u);
    BOOST_TEST(l.tokens[17].number == 60'000u);
    BOOST_TEST(l.tokens[19].number == 3'600'000u);
    BOOST_TEST(l.tokens[21].number == 86'400'000u);
    BOOST_TEST(l.tokens[22].text == "<>");
    BOOST_TEST(l.tokens[26].text == "||");
    BOOST_TEST(l.tokens[27].text == "%");
}

BOOST_AUTO_TEST_CASE(keywords_are_case_insensitive_identifiers) {
    const lexed l = lex("sElEcT FROM from");
    BOOST_TEST(is_keyword(l.tokens[0], "SELECT"));
    BOOST_TEST(is_keyword(l.tokens[1], "FROM"));
    BOOST_TEST(is_keyword(l.tokens[2], "FROM"));
    BOOST_TEST(!is_keyword(l.tokens[0], "FROM"));
    const lexed q = lex("\"FROM\"");
    BOOST_TEST(!is_keyword(q.tokens[0], "FROM")); // quoted: a name, never a keyword
}

BOOST_AUTO_TEST_CASE(positions_count_lines_and_bytes_across_comments) {
    const lexed l = lex("SELECT a -- note\n  /* multi\n line */ , b\n\tFROM t");
    BOOST_REQUIRE(l.tokens.size() == 7u);
    BOOST_TEST(l.tokens[0].pos.line == 1u);
    BOOST_TEST(l.tokens[0].pos.column == 1u);
    BOOST_TEST(l.tokens[1].pos.column == 8u);
    BOOST_TEST(l.tokens[2].text == ",");
    BOOST_TEST(l.tokens[2].pos.line == 3u);
    BOOST_TEST(l.tokens[2].pos.column == 10u);
    BOOST_TEST(l.tokens[4].text == "FROM");
    BOOST_TEST(l.tokens[4].pos.line == 4u);
    BOOST_TEST(l.tokens[4].pos.column == 2u); // a tab is one column
    BOOST_TEST(l.tokens[4].offset == 42u);
    BOOST_TEST(l.annotations.empty());
}

BOOST_AUTO_TEST_CASE(annotations_anywhere_with_any_key) {
    const lexed l = lex("-- @partitioning_strategy: hash\n"
                        "--@num_partitions:8   \n"
                        "-- plain comment @not_one: x\n"
                        "SELECT 1 -- @observability.metrics.enabled: true\n");
    BOOST_REQUIRE(l.annotations.size() == 3u);
    BOOST_TEST(l.annotations[0].key == "partitioning_strategy");
    BOOST_TEST(l.annotations[0].value == "hash");
    BOOST_TEST(l.annotations[0].pos.line == 1u);
    BOOST_TEST(l.annotations[0].pos.column == 4u);
    BOOST_TEST(l.annotations[0].value_pos.column == 28u);
    BOOST_TEST(l.annotations[1].key == "num_partitions");
    BOOST_TEST(l.annotations[1].value == "8");
    BOOST_TEST(l.annotations[2].key == "observability.metrics.enabled");
    BOOST_TEST(l.annotations[2].value == "true");
    BOOST_TEST(l.tokens.size() == 3u); // SELECT 1 end
}

BOOST_AUTO_TEST_CASE(errors_name_position_expectation_and_token) {
    BOOST_TEST(error_of("SELECT 'abc") ==
               "line 1:8: expected a closing ' for this string, found end of input");
    BOOST_TEST(error_of("SELECT \"abc") ==
               "line 1:8: expected a closing \" for this quoted identifier, found end of input");
    BOOST_TEST(error_of("SELECT a\n /* open") ==
               "line 2:2: expected '*/' to close the comment opened here, found end of input");
    BOOST_TEST(error_of("SELECT a[1]") ==
               "line 1:9: expected a keyword, identifier, literal, operator or punctuation, found '['");
    BOOST_TEST(error_of("SELECT \x01") ==
               "line 1:8: expected a keyword, identifier, literal, operator or punctuation, found '\\x01'");
    BOOST_TEST(error_of("WINDOW TUMBLING(5x)") ==
               "line 1:17: expected a duration unit ms, s, m, h or d after 5, found '5x'");
    BOOST_TEST(
        error_of("LIMIT 99999999999999999999") ==
        "line 1:7: expected an integer no larger than 9223372036854775807, found '99999999999999999999'");
    BOOST_TEST(error_of("SELECT \"\"") == "line 1:8: expected a non-empty quoted identifier, found '\"\"'");
    BOOST_TEST(error_of("-- @num_partitions 8\nSELECT 1") ==
               "line 1:20: expected ':' after annotation name '@num_partitions', found '8'");
    BOOST_TEST(
        error_of("-- @: x") ==
        "line 1:5: expected an annotation name after '@' (as in '-- @num_partitions: 8'), found ': x'");
    BOOST_TEST(error_of("-- @num_partitions:   \nSELECT 1") ==
               "line 1:23: expected a value after '@num_partitions:', found end of line");
    BOOST_TEST(error_of("SELECT 1.5e") ==
               "line 1:8: expected a number followed by a blank, operator or punctuation, "
               "found '1.5e'");
}

BOOST_AUTO_TEST_CASE(long_or_binary_tokens_are_abbreviated_in_messages) {
    const std::string big(200, 'x');
    BOOST_TEST(quote_for_message(big) == std::string(40, 'x') + "...");
    BOOST_TEST(quote_for_message("a\nb\xff") == "a\\x0ab\\xff");
}

BOOST_AUTO_TEST_SUITE_END()
