#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>

#include "control/sql/parser.hpp"

using namespace shardgate::sql;

namespace shardgate::sql {
std::ostream& operator<<(std::ostream& os, system_column c) {
    return os << (c == system_column::none ? std::string_view("none") : to_string(c));
}
} // namespace shardgate::sql

namespace {

std::string error_of(std::string_view src) {
    try {
        (void)parse(src);
    } catch (const parse_error& e) {
        return e.what();
    }
    return "no error";
}

/// The error's message; fails the test when the query parses.
parse_error error(std::string_view src) {
    try {
        (void)parse(src);
    } catch (const parse_error& e) {
        return e;
    }
    BOOST_FAIL("no parse error for: " << src);
    throw std::logic_error("unreachable");
}

} // namespace

BOOST_AUTO_TEST_SUITE(parser_suite)

BOOST_AUTO_TEST_CASE(select_with_every_clause) {
    const statement st = parse("select distinct t.symbol AS s, COUNT(*) cnt, AVG(price)\n"
                               "FROM market_data t\n"
                               "WHERE price > 0 AND venue IN ('X', 'Y')\n"
                               "GROUP BY t.symbol\n"
                               "WINDOW TUMBLING(trade_time, INTERVAL '60' SECOND)\n"
                               "HAVING COUNT(*) > 5\n"
                               "ORDER BY s DESC\n"
                               "LIMIT 10\n"
                               "EMIT CHANGES;");
    const select_stmt& s = st.select;
    BOOST_TEST(static_cast<int>(st.kind) == static_cast<int>(statement_kind::select));
    BOOST_TEST(s.distinct);
    BOOST_REQUIRE(s.items.size() == 3u);
    BOOST_TEST(s.items[0].alias == "s");
    BOOST_TEST(s.items[0].value->qualifier == "t");
    BOOST_TEST(s.items[0].value->text == "symbol");
    BOOST_TEST(s.items[1].alias == "cnt");
    BOOST_TEST(s.items[1].value->text == "COUNT");
    BOOST_REQUIRE(s.items[1].value->args.size() == 1u);
    BOOST_TEST(static_cast<int>(s.items[1].value->args[0]->kind) == static_cast<int>(expr_kind::star));
    BOOST_TEST(s.from.name == "market_data");
    BOOST_TEST(s.from.alias == "t");
    BOOST_REQUIRE(s.where);
    BOOST_TEST(static_cast<int>(s.where->bop) == static_cast<int>(binary_op::and_));
    BOOST_TEST(s.group_by.size() == 1u);
    BOOST_REQUIRE(s.window.has_value());
    BOOST_TEST(static_cast<int>(s.window->kind) == static_cast<int>(window_kind::tumbling));
    BOOST_TEST(s.window->size_ms == 60'000u);
    BOOST_REQUIRE(s.window->time_column);
    BOOST_TEST(s.window->time_column->text == "trade_time");
    BOOST_TEST(s.having != nullptr);
    BOOST_REQUIRE(s.order_by.size() == 1u);
    BOOST_TEST(s.order_by[0].descending);
    BOOST_TEST(s.limit.value_or(0) == 10u);
    BOOST_TEST(static_cast<int>(s.emit) == static_cast<int>(emit_mode::changes));
}

BOOST_AUTO_TEST_CASE(create_stream_and_table_with_clauses_in_any_order) {
    const statement st =
        parse("CREATE STREAM agg (symbol VARCHAR KEY, c BIGINT) AS\n"
              "SELECT symbol, COUNT(*) FROM trades\n"
              "EMIT FINAL WINDOW SLIDING(10m, 1m) LIMIT 5 HAVING COUNT(*) > 1 GROUP BY symbol\n"
              "WITH ('num_partitions' = '4', kafka.topic = 'out', 'replicas' = 3)");
    BOOST_TEST(static_cast<int>(st.kind) == static_cast<int>(statement_kind::create_stream));
    BOOST_TEST(st.name == "agg");
    BOOST_REQUIRE(st.columns.size() == 2u);
    BOOST_TEST(st.columns[0].type == "VARCHAR");
    BOOST_TEST(static_cast<int>(st.select.emit) == static_cast<int>(emit_mode::final));
    BOOST_TEST(st.select.window->advance_ms == 60'000u);
    BOOST_TEST(st.select.window->size_ms == 600'000u);
    BOOST_TEST(st.select.group_by.size() == 1u);
    BOOST_REQUIRE(st.with.size() == 3u);
    BOOST_TEST(st.with[0].key == "num_partitions");
    BOOST_TEST(st.with[0].value == "4");
    BOOST_TEST(st.with[1].key == "kafka.topic");
    BOOST_TEST(st.with[2].value == "3");

    const statement t =
        parse("create or replace table if not exists totals as select a, sum(b) from s group by a;");
    BOOST_TEST(static_cast<int>(t.kind) == static_cast<int>(statement_kind::create_table));
    BOOST_TEST(t.name == "totals");
}

BOOST_AUTO_TEST_CASE(window_shapes_and_durations) {
    struct c {
        const char* sql;
        window_kind kind;
        std::uint64_t size, advance;
        const char* time_col;
        std::size_t keys;
    };
    const c cases[] = {
        {"TUMBLING(5s)", window_kind::tumbling, 5'000, 0, "", 0},
        {"TUMBLING(100ms)", window_kind::tumbling, 100, 0, "", 0},
        {"TUMBLING(ts, INTERVAL '1' MINUTE)", window_kind::tumbling, 60'000, 0, "ts", 0},
        {"TUMBLING(INTERVAL 2 HOURS, ts)", window_kind::tumbling, 7'200'000, 0, "ts", 0},
        {"TUMBLING(5 SECONDS)", window_kind::tumbling, 5'000, 0, "", 0},
        {"SLIDING(1h, 5m)", window_kind::sliding, 3'600'000, 300'000, "", 0},
        {"SLIDING(ts, INTERVAL '10' MINUTES, INTERVAL '1' MINUTE)", window_kind::sliding, 600'000, 60'000,
         "ts", 0},
        {"SLIDING(1d, 1h, t.ts)", window_kind::sliding, 86'400'000, 3'600'000, "ts", 0},
        {"SESSION(30s)", window_kind::session, 30'000, 0, "", 0},
        {"SESSION(ts, INTERVAL '5' MILLISECONDS, user_id)", window_kind::session, 5, 0, "ts", 1},
        {"SESSION(ts, INTERVAL '1' DAYS, a, b)", window_kind::session, 86'400'000, 0, "ts", 2},
        // the SIZE / ADVANCE BY spelling
        {"TUMBLING (SIZE 30 SECONDS)", window_kind::tumbling, 30'000, 0, "", 0},
        {"HOPPING (SIZE 1 HOUR, ADVANCE BY 5 MINUTES)", window_kind::sliding, 3'600'000, 300'000, "", 0},
    };
    for (const auto& k : cases) {
        BOOST_TEST_CONTEXT(k.sql) {
            const statement st = parse(std::string("SELECT a FROM t t WINDOW ") + k.sql);
            const auto& w = *st.select.window;
            BOOST_TEST(static_cast<int>(w.kind) == static_cast<int>(k.kind));
            BOOST_TEST(w.size_ms == k.size);
            BOOST_TEST(w.advance_ms == k.advance);
            BOOST_TEST((w.time_column ? w.time_column->text : std::string()) == k.time_col);
            BOOST_TEST(w.session_keys.size() == k.keys);
        }
    }
}

BOOST_AUTO_TEST_CASE(window_functions_both_over_forms) {
    const statement st =
        parse("SELECT symbol,\n"
              "  AVG(price) OVER (ROWS WINDOW BUFFER 100 ROWS PARTITION BY symbol ORDER BY _timestamp\n"
              "                   ROWS BETWEEN 50 PRECEDING AND CURRENT ROW EMIT CHANGES) AS ma,\n"
              "  ROW_NUMBER() OVER (PARTITION BY symbol, venue ORDER BY price DESC) AS rn,\n"
              "  LAG(price, 1) OVER (ORDER BY ts RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND UNBOUNDED "
              "FOLLOWING)\n"
              "FROM market_data");
    const auto& ma = *st.select.items[1].value;
    BOOST_REQUIRE(ma.over);
    BOOST_TEST(ma.over->buffer_rows.value_or(0) == 100u);
    BOOST_TEST(ma.over->partition_by.size() == 1u);
    BOOST_TEST(ma.over->order_by[0].value->system == system_column::timestamp);
    BOOST_REQUIRE(ma.over->frame.has_value());
    BOOST_TEST(ma.over->frame->start.amount == 50u);
    BOOST_TEST(static_cast<int>(ma.over->emit) == static_cast<int>(emit_mode::changes));
    const auto& rn = *st.select.items[2].value;
    BOOST_TEST(rn.args.empty());
    BOOST_TEST(rn.over->partition_by.size() == 2u);
    const auto& lag = *st.select.items[3].value;
    BOOST_TEST(lag.over->partition_by.empty());
    BOOST_TEST(lag.over->frame->range);
    BOOST_TEST(lag.over->frame->start.amount == 60'000u);
    BOOST_TEST(static_cast<int>(lag.over->frame->end.kind) ==
               static_cast<int>(frame_bound_kind::unbounded_following));
}

BOOST_AUTO_TEST_CASE(expressions_precedence_and_forms) {
    const statement st = parse(
        "SELECT a + b * c, NOT x = 1 OR y, -a, a || 'x' || b, CAST(a AS VARCHAR(10)), "
        "CASE WHEN a > 1 THEN 'big' ELSE 'small' END, CASE a WHEN 1 THEN 2 END, "
        "COUNT(DISTINCT b), SUBSTRING(s FROM 2 FOR 3), EXTRACT(HOUR FROM ts), "
        "a NOT BETWEEN 1 AND 5, a NOT LIKE 'x%' ESCAPE '!', a IS NOT NULL, a NOT IN (1, 2), "
        "_PARTITION, _Window_Start, \"_partition\", TRUE, NULL, 1.5, INTERVAL '3' HOURS, CURRENT_TIMESTAMP, "
        "LEFT(s, 2) FROM t");
    const auto& items = st.select.items;
    // a + (b * c)
    BOOST_TEST(static_cast<int>(items[0].value->bop) == static_cast<int>(binary_op::add));
    BOOST_TEST(static_cast<int>(items[0].value->args[1]->bop) == static_cast<int>(binary_op::mul));
    // (NOT (x = 1)) OR y
    BOOST_TEST(static_cast<int>(items[1].value->bop) == static_cast<int>(binary_op::or_));
    BOOST_TEST(static_cast<int>(items[1].value->args[0]->uop) == static_cast<int>(unary_op::not_));
    BOOST_TEST(static_cast<int>(items[2].value->uop) == static_cast<int>(unary_op::neg));
    BOOST_TEST(static_cast<int>(items[3].value->bop) == static_cast<int>(binary_op::concat));
    BOOST_TEST(items[4].value->text == "VARCHAR(10)");
    BOOST_TEST(items[5].value->has_else);
    BOOST_TEST(items[6].value->has_operand);
    BOOST_TEST(items[7].value->distinct);
    BOOST_TEST(items[8].value->args.size() == 3u);
    BOOST_TEST(items[9].value->args[0]->text == "HOUR");
    BOOST_TEST(items[10].value->negated);
    BOOST_TEST(items[11].value->args.size() == 3u);
    BOOST_TEST(items[12].value->negated);
    BOOST_TEST(items[13].value->args.size() == 3u);
    BOOST_TEST(items[14].value->system == system_column::partition);
    BOOST_TEST(items[14].value->text == "_partition");
    BOOST_TEST(items[15].value->system == system_column::window_start);
    BOOST_TEST(items[16].value->system == system_column::none); // quoted: an ordinary field
    BOOST_TEST(items[17].value->number == 1);
    BOOST_TEST(static_cast<int>(items[18].value->kind) == static_cast<int>(expr_kind::null));
    BOOST_TEST(items[19].value->text == "1.5");
    BOOST_TEST(items[20].value->number == 3 * 3'600'000);
    BOOST_TEST(items[21].value->text == "CURRENT_TIMESTAMP");
    BOOST_TEST(items[22].value->text == "LEFT");
}

BOOST_AUTO_TEST_CASE(lenient_details) {
    // A byte order mark before the query, a column named partition, IS TRUE.
    const statement st = parse("\xef\xbb\xbfSELECT partition, a IS NOT TRUE FROM t WHERE b IS FALSE");
    BOOST_TEST(st.select.items[0].value->text == "partition");
    BOOST_TEST(static_cast<int>(st.select.items[1].value->kind) == static_cast<int>(expr_kind::is_truth));
    BOOST_TEST(st.select.items[1].value->negated);
    BOOST_TEST(st.select.where->number == 0);
    BOOST_TEST(st.select.items[0].value->pos.column ==
               8u); // columns as an editor shows them: BOM not counted
    BOOST_TEST(error_of("SELECT a IS 5 FROM t") ==
               "line 1:13: expected NULL, TRUE, FALSE or NOT after IS, found '5'");
}

BOOST_AUTO_TEST_CASE(joins) {
    const statement st =
        parse("SELECT o.id FROM orders AS o LEFT OUTER JOIN customers c ON o.customer_id = c.id "
              "WITHIN INTERVAL '5' MINUTES JOIN x ON x.k = o.k");
    BOOST_REQUIRE(st.select.joins.size() == 2u);
    BOOST_TEST(static_cast<int>(st.select.joins[0].kind) == static_cast<int>(join_kind::left));
    BOOST_TEST(st.select.joins[0].table.alias == "c");
    BOOST_TEST(st.select.joins[0].within_ms.value_or(0) == 300'000u);
    BOOST_TEST(st.select.joins[1].table.name == "x");
    BOOST_TEST(st.select.joins[1].table.alias.empty());
}

BOOST_AUTO_TEST_CASE(expression_text_as_written_without_comments) {
    const statement st =
        parse("SELECT UPPER( symbol /* why */ ),\n   (a+1)   *\n 2 FROM t GROUP BY SUBSTRING(s,1,3)");
    BOOST_TEST(st.text_of(*st.select.items[0].value) == "UPPER( symbol )");
    BOOST_TEST(st.text_of(*st.select.items[1].value) == "(a+1) * 2");
    BOOST_TEST(st.text_of(*st.select.group_by[0]) == "SUBSTRING(s,1,3)");
}

BOOST_AUTO_TEST_CASE(annotations_reach_the_statement) {
    const statement st = parse("-- @partitioning_strategy: sticky\n-- @num_partitions: 4\nSELECT a FROM t");
    BOOST_REQUIRE(st.annotations.size() == 2u);
    BOOST_TEST(st.annotations[1].value == "4");
}

BOOST_AUTO_TEST_CASE(error_positions_and_wording) {
    const std::pair<const char*, const char*> cases[] = {
        {"SELECT FROM orders", "line 1:8: expected an expression or '*', found 'FROM'"},
        {"SELECT a, b\nWHERE x", "line 2:1: expected ',' or FROM, found 'WHERE'"},
        {"SELECT a FROM t WHERE", "line 1:22: expected an expression, found end of input"},
        {"INSERT INTO x SELECT a FROM t", "line 1:1: expected SELECT or CREATE STREAM|TABLE, found 'INSERT'"},
        {"SELECT a FROM t GROUP BY a WHERE b",
         "line 1:28: expected WHERE before GROUP BY, WINDOW, HAVING, ORDER BY, "
         "LIMIT and EMIT, found 'WHERE'"},
        {"SELECT a FROM t GROUP BY a GROUP BY b",
         "line 1:28: expected at most one GROUP BY clause, found 'GROUP'"},
        {"SELECT a FROM (SELECT a FROM t)", "line 1:15: expected a stream or table name (subqueries are not "
                                            "supported), found '('"},
        {"SELECT a FROM t WHERE a IN (SELECT b FROM u)",
         "line 1:29: expected a list of values (subqueries are not "
         "supported), found 'SELECT'"},
        {"SELECT a FROM t UNION SELECT a FROM u",
         "line 1:17: expected end of query (UNION, INTERSECT and EXCEPT are "
         "not supported), found 'UNION'"},
        {"SELECT a FROM t, u", "line 1:16: expected JOIN ... ON (comma joins are not supported), found ','"},
        {"SELECT a FROM t; SELECT b FROM u",
         "line 1:18: expected end of input (one statement per query), found "
         "'SELECT'"},
        {"SELECT a FROM t x y", "line 1:19: expected end of query, found 'y'"},
        {"SELECT a FROM t JOIN u",
         "line 1:23: expected ON after the joined stream or table, found end of input"},
        {"SELECT SUM(a) OVER w FROM t",
         "line 1:20: expected '(' after OVER (named windows are not supported), "
         "found 'w'"},
        {"SELECT a FROM t WINDOW HOP(1m)",
         "line 1:24: expected TUMBLING, SLIDING or SESSION after WINDOW, found "
         "'HOP'"},
        {"SELECT a FROM t WINDOW TUMBLING(ts)",
         "line 1:32: expected TUMBLING(size), TUMBLING(time_column, size) or "
         "TUMBLING(size, time_column), found '('"},
        {"SELECT a FROM t WINDOW SLIDING(1m, 5m)",
         "line 1:36: expected an advance greater than zero and no larger "
         "than the size (60000 ms), found '5m'"},
        {"SELECT a FROM t WINDOW TUMBLING(60)",
         "line 1:33: expected a time column or a duration (as in 5s, 1m or "
         "INTERVAL '5' SECOND), found '60'"},
        {"SELECT a FROM t WINDOW TUMBLING(INTERVAL '1.5' MINUTE)",
         "line 1:42: expected a whole number of units inside INTERVAL '...', found ''1.5''"},
        {"SELECT a FROM t WINDOW TUMBLING(INTERVAL '1' WEEK)",
         "line 1:46: expected a unit MILLISECOND(S), SECOND(S), MINUTE(S), HOUR(S) or DAY(S), found 'WEEK'"},
        {"SELECT a FROM t LIMIT -1", "line 1:23: expected a non-negative integer after LIMIT, found '-'"},
        {"SELECT a FROM t EMIT SOMETIMES",
         "line 1:22: expected CHANGES or FINAL after EMIT, found 'SOMETIMES'"},
        {"SELECT (a + b FROM t", "line 1:15: expected ')' to close the '(' at line 1:8, found 'FROM'"},
        {"SELECT CAST(a VARCHAR) FROM t", "line 1:15: expected AS in CAST(value AS type), found 'VARCHAR'"},
        {"SELECT a.b.c FROM t",
         "line 1:11: expected an operator or the end of the expression (nested fields are not "
         "supported), found '.'"},
        {"CREATE STREAM s SELECT a FROM t",
         "line 1:17: expected AS SELECT ... (CREATE STREAM|TABLE name AS SELECT), "
         "found 'SELECT'"},
        {"CREATE VIEW v AS SELECT a FROM t", "line 1:8: expected STREAM or TABLE after CREATE, found 'VIEW'"},
        {"CREATE STREAM s AS SELECT a FROM t WITH ('k' = 'v', 'K' = 'w')",
         "line 1:53: expected each WITH property once ('k' is already set at line 1:42), found ''K''"},
        // ROWS is the alias of t here; ROWS WINDOW BUFFER belongs inside OVER (...).
        {"SELECT a FROM t ROWS WINDOW BUFFER 10 ROWS",
         "line 1:29: expected TUMBLING, SLIDING or SESSION after WINDOW, found 'BUFFER'"},
        {"SELECT a, FROM t", "line 1:11: expected an expression or '*', found 'FROM'"},
        {"SELECT a FROM t WITH ('num_partitions' = '4') WITH ('x' = 'y')",
         "line 1:47: expected at most one WITH clause, found 'WITH'"},
        {"SELECT COUNT(*) OVER (ROWS WINDOW BUFFER 0 ROWS) FROM t",
         "line 1:42: expected a positive row count after BUFFER, found '0'"},
    };
    for (const auto& [sql, want] : cases) BOOST_TEST_CONTEXT(sql) {
            BOOST_TEST(error_of(sql) == want);
        }
}

BOOST_AUTO_TEST_CASE(error_fields_match_the_message) {
    const parse_error e = error("SELECT a\nFROM\n  WHERE");
    BOOST_TEST(e.line() == 3u);
    BOOST_TEST(e.column() == 3u);
    BOOST_TEST(e.found() == "WHERE");
    BOOST_TEST(e.expected() == "a stream or table name");
    BOOST_TEST(!e.at_end());
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused_not_a_crash) {
    const std::string deep =
        "SELECT " + std::string(10'000, '(') + "a" + std::string(10'000, ')') + " FROM t";
    BOOST_TEST(error_of(deep) == "line 1:136: expected at most 128 levels of nesting, found '('");
    std::string nots = "SELECT a FROM t WHERE ";
    for (int i = 0; i < 5'000; ++i) nots += "NOT ";
    nots += "a";
    BOOST_TEST(error_of(nots).find("levels of nesting") != std::string::npos);
    std::string signs = "SELECT ";
    for (int i = 0; i < 5'000; ++i) signs += "- "; // "--" would start a comment
    signs += "a FROM t";
    BOOST_TEST(error_of(signs).find("levels of nesting") != std::string::npos);
    std::string calls = "SELECT ";
    for (int i = 0; i < 1'000; ++i) calls += "f(";
    BOOST_TEST(error_of(calls).find("levels of nesting") != std::string::npos);
    // Within the limit, nesting parses.
    const std::string ok = "SELECT " + std::string(100, '(') + "a" + std::string(100, ')') + " FROM t";
    BOOST_TEST(error_of(ok) == "no error");
}

BOOST_AUTO_TEST_CASE(join_count_is_bounded) {
    std::string q = "SELECT * FROM t0";
    for (int i = 1; i <= 64; ++i)
        q += " JOIN t" + std::to_string(i) + " ON t0.k = t" + std::to_string(i) + ".k";
    BOOST_TEST(error_of(q) == "no error");
    const std::string one_more = q + " JOIN t65 ON t0.k = t65.k";
    BOOST_TEST(error_of(one_more).find("expected at most 64 JOINs in one query, found 'JOIN'") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(long_operator_chains_are_bounded) {
    std::string chain = "SELECT a";
    for (int i = 0; i < 5'000; ++i) chain += " + a";
    chain += " FROM t";
    BOOST_TEST(error_of(chain).find("an expression at most 1000 operators deep") != std::string::npos);
    std::string fine = "SELECT a";
    for (int i = 0; i < 900; ++i) fine += " OR a";
    fine += " FROM t";
    BOOST_TEST(error_of(fine) == "no error");
    // Height counts through OVER (PARTITION BY ...): nested window functions
    // with long chains inside stay bounded as one tree.
    // g()'s window sits at the bottom of the outer chain, so its height adds.
    std::string plus500;
    for (int i = 0; i < 500; ++i) plus500 += "+a";
    const std::string nested =
        "SELECT f() OVER (PARTITION BY g() OVER (PARTITION BY a" + plus500 + ")" + plus500 + ") FROM t";
    BOOST_TEST(error_of(nested).find("an expression at most 1000 operators deep") != std::string::npos);
    // A long flat list is not deep.
    std::string list = "SELECT a FROM t WHERE a IN (0";
    for (int i = 1; i < 20'000; ++i) {
        list += ',';
        list += std::to_string(i);
    }
    list += ")";
    BOOST_TEST(error_of(list) == "no error");
}

BOOST_AUTO_TEST_SUITE_END()
