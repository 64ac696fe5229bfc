#include <boost/test/unit_test.hpp>

#include <string>

#include "control/plan/key_translate.hpp"
#include "control/sql/parser.hpp"

using namespace shardgate;
using namespace shardgate::control;

namespace {

/// Translates the first select item of `SELECT <e> FROM t`.
key_term term_of(const std::string& e, sql::statement* keep = nullptr) {
    sql::statement st = sql::parse("SELECT " + e + " FROM t");
    key_term t = translate_key(st, *st.select.items[0].value, [](const sql::expr&) { return 0; });
    if (keep) *keep = std::move(st);
    return t;
}

key_instr field(const char* f) { return {key_op::field, 0, f}; }
key_instr op(key_op o, std::int64_t imm = 0) { return {o, imm, {}}; }

} // namespace

namespace shardgate {
std::ostream& operator<<(std::ostream& os, const key_instr& i) {
    return os << control::to_string(i.op) << "(" << i.imm << "," << i.text << ")";
}
} // namespace shardgate

BOOST_AUTO_TEST_SUITE(key_translate_suite)

BOOST_AUTO_TEST_CASE(plain_columns_are_one_field_named_without_qualifier) {
    const key_term t = term_of("o.symbol");
    BOOST_REQUIRE(t.key.has_value());
    BOOST_TEST(t.key->is_plain_column());
    BOOST_TEST(t.key->text == "symbol");
    BOOST_TEST(t.key->program == std::vector<key_instr>{field("symbol")}, boost::test_tools::per_element());
    const key_term q = term_of("(\"Trader Id\")");
    BOOST_REQUIRE(q.key.has_value());
    BOOST_TEST(q.key->text == "Trader Id");
}

BOOST_AUTO_TEST_CASE(evaluable_expressions_become_postfix_programs) {
    struct c {
        const char* sql;
        std::vector<key_instr> program;
        const char* text;
    };
    const c cases[] = {
        {"UPPER(symbol)", {field("symbol"), op(key_op::upper)}, "UPPER(symbol)"},
        {"lcase(TRIM(venue))", {field("venue"), op(key_op::trim), op(key_op::lower)}, "lcase(TRIM(venue))"},
        {"SUBSTRING(symbol, 1, 3)",
         {field("symbol"), op(key_op::push_int, 1), op(key_op::push_int, 3), op(key_op::substring, 3)},
         "SUBSTRING(symbol, 1, 3)"},
        {"SUBSTR(s FROM 2)",
         {field("s"), op(key_op::push_int, 2), op(key_op::substring, 2)},
         "SUBSTR(s FROM 2)"},
        {"CAST(trader_id AS VARCHAR)",
         {field("trader_id"), op(key_op::cast_string)},
         "CAST(trader_id AS VARCHAR)"},
        {"CAST(id AS BIGINT)", {field("id"), op(key_op::cast_int)}, "CAST(id AS BIGINT)"},
        {"CAST(px AS DOUBLE)", {field("px"), op(key_op::cast_double)}, "CAST(px AS DOUBLE)"},
        {"(a + 1) * 2",
         {field("a"), op(key_op::push_int, 1), op(key_op::add), op(key_op::push_int, 2), op(key_op::mul)},
         "(a + 1) * 2"},
        {"a - b / c % 7",
         {field("a"), field("b"), field("c"), op(key_op::div), op(key_op::push_int, 7), op(key_op::mod),
          op(key_op::sub)},
         "a - b / c % 7"},
        {"-a", {field("a"), op(key_op::neg)}, "-a"},
        {"+a", {field("a")}, "a"},
        {"a || '-' || b",
         {field("a"), {key_op::push_string, 0, "-"}, op(key_op::concat), field("b"), op(key_op::concat)},
         "a || '-' || b"},
        {"COALESCE_NOT(a) ", {}, ""},
    };
    for (const auto& k : cases) {
        BOOST_TEST_CONTEXT(k.sql) {
            const key_term t = term_of(k.sql);
            if (k.program.empty()) {
                BOOST_TEST(!t.key.has_value());
                continue;
            }
            BOOST_REQUIRE(t.key.has_value());
            BOOST_TEST(t.key->program == k.program, boost::test_tools::per_element());
            BOOST_TEST(well_formed(*t.key));
            if (std::string(k.text) != "a") BOOST_TEST(t.key->text == k.text);
        }
    }
}

BOOST_AUTO_TEST_CASE(what_the_evaluator_cannot_compute_is_refused_with_a_reason) {
    const std::pair<const char*, const char*> cases[] = {
        {"ROUND(price)", "ROUND is not an operation of the router's key evaluator"},
        {"CONCAT(a, b)", "CONCAT is not an operation"},
        {"CAST(a AS DECIMAL(10,2))", "CAST to DECIMAL(10,2)"},
        {"CAST(a AS VARCHAR(3))", "CAST to VARCHAR(3)"},
        {"CAST(a AS REAL)", "CAST to REAL"},
        {"a * 1.5", "decimal literal 1.5"},
        {"CASE WHEN a THEN 1 END", "CASE is not"},
        {"a = 1", "comparison or condition '='"},
        {"COUNT(*)", "COUNT(*) is an aggregate"},
        {"COUNT(DISTINCT a)", "COUNT(DISTINCT ...) is an aggregate"},
        {"SUM(a) OVER (PARTITION BY b)", "window function"},
        {"UPPER(a, b)", "UPPER with 2 arguments"},
        {"_window_start", "window-time key"},
        {"_partition", "source partition"},
        {"UPPER(_key)", "record metadata"},
        {"TRUE", "boolean literal"},
        {"NOT a", "NOT is a condition"},
    };
    for (const auto& [sql, why] : cases) {
        BOOST_TEST_CONTEXT(sql) {
            const key_term t = term_of(sql);
            BOOST_TEST(!t.key.has_value());
            BOOST_TEST(t.why_not.find(why) != std::string::npos, t.why_not);
        }
    }
    BOOST_TEST(static_cast<int>(term_of("_PARTITION").bare_system) ==
               static_cast<int>(sql::system_column::partition));
}

BOOST_AUTO_TEST_CASE(columns_and_sources_are_reported) {
    const key_term t = term_of("a || b");
    BOOST_TEST(t.columns.size() == 2u);
    BOOST_TEST(t.source == 0);
    const key_term k = term_of("'x'");
    BOOST_REQUIRE(k.key.has_value());
    BOOST_TEST(k.source == -2); // a constant reads no field
    BOOST_TEST(k.columns.empty());
}

BOOST_AUTO_TEST_CASE(well_formedness_checks_stack_effects) {
    key_expr k;
    BOOST_TEST(!well_formed(k)); // empty
    k.program = {field("a"), field("b")};
    BOOST_TEST(!well_formed(k)); // two values left
    k.program = {op(key_op::upper)};
    BOOST_TEST(!well_formed(k)); // nothing to pop
    k.program = {field("a"), op(key_op::push_int, 1), op(key_op::substring, 4)};
    BOOST_TEST(!well_formed(k)); // bad arity
    k.program = {{key_op::field, 0, ""}};
    BOOST_TEST(!well_formed(k)); // no field name
    k.program = {field("a"), op(key_op::push_int, 1), op(key_op::substring, 2)};
    BOOST_TEST(well_formed(k));
    BOOST_TEST(program_signature(k) != program_signature(column_key("a")));
    BOOST_TEST(program_signature(column_key("a")) == program_signature(column_key("a")));
}

BOOST_AUTO_TEST_SUITE_END()
