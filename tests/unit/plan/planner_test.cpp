#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "control/plan/key_translate.hpp"
#include "control/plan/planner.hpp"

using namespace shardgate;
using namespace shardgate::control;

namespace {

plan plan_of(const std::string& sql, const planner_inputs& in = {}) { return plan_query(sql, in); }

std::vector<std::string> keys_of(const plan& p) {
    std::vector<std::string> out;
    for (const auto& k : p.routing.keys) out.push_back(k.text);
    return out;
}

std::string plan_error_of(const std::string& sql, const planner_inputs& in = {}) {
    try {
        (void)plan_query(sql, in);
    } catch (const plan_error& e) {
        return e.what();
    }
    return "no error";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool any_warning(const plan& p, const std::string& part) {
    for (const auto& w : p.warnings)
        if (has(w, part)) return true;
    return false;
}

using sk = strategy_kind;
using strs = std::vector<std::string>;

} // namespace

namespace shardgate {
std::ostream& operator<<(std::ostream& os, strategy_kind k) { return os << to_string(k); }
std::ostream& operator<<(std::ostream& os, strategy_origin o) { return os << to_string(o); }
std::ostream& operator<<(std::ostream& os, query_kind k) { return os << to_string(k); }
std::ostream& operator<<(std::ostream& os, hash_function h) { return os << to_string(h); }
} // namespace shardgate

BOOST_AUTO_TEST_SUITE(planner_suite)

BOOST_AUTO_TEST_CASE(decision_table_rows) {
    struct c {
        const char* sql;
        sk strategy;
        strs keys;
    };
    const c cases[] = {
        // GROUP BY, any window and emit mode
        {"SELECT symbol, COUNT(1) AS c FROM market_data GROUP BY symbol", sk::always_hash, {"symbol"}},
        {"SELECT trader_id, symbol, COUNT(1) FROM market_data GROUP BY trader_id, symbol "
         "WINDOW TUMBLING(trade_time, INTERVAL '60' SECOND) EMIT CHANGES",
         sk::always_hash,
         {"trader_id", "symbol"}},
        {"SELECT a, SUM(b) FROM t GROUP BY a WINDOW SESSION(30s) EMIT FINAL", sk::always_hash, {"a"}},
        // GROUP BY on expressions: the expression itself, or a coarser key
        {"SELECT UPPER(sym), COUNT(*) FROM t GROUP BY UPPER(sym)", sk::always_hash, {"UPPER(sym)"}},
        {"SELECT ROUND(px), sym, COUNT(*) FROM t GROUP BY ROUND(px), sym", sk::always_hash, {"sym"}},
        {"SELECT ROUND(px), COUNT(*) FROM t GROUP BY ROUND(px)", sk::fan_in, {}},
        // DISTINCT
        {"SELECT DISTINCT symbol, side FROM t", sk::always_hash, {"symbol", "side"}},
        // OVER (PARTITION BY), ROWS WINDOW ... PARTITION BY
        {"SELECT symbol, AVG(price) OVER (ROWS WINDOW BUFFER 100 ROWS PARTITION BY symbol ORDER BY "
         "_timestamp) "
         "FROM market_data",
         sk::always_hash,
         {"symbol"}},
        {"SELECT RANK() OVER (PARTITION BY a, b ORDER BY c) FROM t", sk::always_hash, {"a", "b"}},
        // JOIN
        {"SELECT * FROM orders o JOIN customers c ON o.customer_id = c.id", sk::always_hash, {"customer_id"}},
        // global aggregate, global window, top-level ORDER BY / LIMIT
        {"SELECT COUNT(*) FROM trades", sk::fan_in, {}},
        {"SELECT AVG(price) FROM t WINDOW TUMBLING(1m)", sk::fan_in, {}},
        {"SELECT * FROM t ORDER BY price", sk::fan_in, {}},
        {"SELECT * FROM t LIMIT 5", sk::fan_in, {}},
        // stateless
        {"SELECT * FROM orders", sk::round_robin, {}},
        {"SELECT a, UPPER(b) FROM t WHERE c > 1", sk::round_robin, {}},
    };
    for (const auto& k : cases) {
        BOOST_TEST_CONTEXT(k.sql) {
            const plan p = plan_of(k.sql);
            BOOST_TEST(p.routing.strategy == k.strategy);
            BOOST_TEST(keys_of(p) == k.keys, boost::test_tools::per_element());
            BOOST_TEST(!p.reason.empty());
            BOOST_TEST(p.origin == strategy_origin::automatic);
            for (const auto& key : p.routing.keys) BOOST_TEST(well_formed(key));
        }
    }
}

BOOST_AUTO_TEST_CASE(create_stream_and_table_are_analysed_through_their_select) {
    const plan s =
        plan_of("CREATE STREAM agg AS SELECT symbol, COUNT(*) FROM trades GROUP BY symbol EMIT CHANGES");
    BOOST_TEST(s.kind == query_kind::create_stream);
    BOOST_TEST(s.routing.strategy == sk::always_hash);
    BOOST_TEST(keys_of(s) == strs{"symbol"}, boost::test_tools::per_element());
    const plan t = plan_of("CREATE TABLE totals AS SELECT COUNT(*) FROM trades");
    BOOST_TEST(t.kind == query_kind::create_table);
    BOOST_TEST(t.routing.strategy == sk::fan_in);
}

BOOST_AUTO_TEST_CASE(groups_are_never_split_by_a_bare_column_under_a_function) {
    // UPPER(sym) = 'A' for 'a' and 'A': routing by sym would split the group.
    const plan p =
        plan_of("SELECT sym, UPPER(sym) AS u, LAG(px) OVER (PARTITION BY sym ORDER BY ts), COUNT(*) "
                "FROM t GROUP BY UPPER(sym)");
    // PARTITION BY sym and GROUP BY UPPER(sym): UPPER(sym) is a function of
    // sym, so it keeps both together; sym alone would split a group.
    BOOST_TEST(keys_of(p) == strs{"UPPER(sym)"}, boost::test_tools::per_element());
    BOOST_TEST(has(p.reason, "sym is left out: routing by it would split GROUP BY UPPER(sym)"), p.reason);
}

BOOST_AUTO_TEST_CASE(window_time_keys_are_dropped_rather_than_fanning_in) {
    const plan p = plan_of("SELECT symbol, _window_start, COUNT(*) FROM t GROUP BY symbol, _WINDOW_START "
                           "WINDOW TUMBLING(1m)");
    BOOST_TEST(p.routing.strategy == sk::always_hash);
    BOOST_TEST(keys_of(p) == strs{"symbol"}, boost::test_tools::per_element());
    BOOST_TEST(has(p.reason, "_WINDOW_START is left out"), p.reason);
    const plan only = plan_of("SELECT COUNT(*) FROM t GROUP BY _window_start WINDOW TUMBLING(1m)");
    BOOST_TEST(only.routing.strategy == sk::fan_in);
    BOOST_TEST(has(only.reason, "window-time key"), only.reason);
}

BOOST_AUTO_TEST_CASE(select_aliases_and_positions_in_group_by) {
    const plan a = plan_of("SELECT SUBSTRING(symbol, 1, 2) AS prefix, COUNT(*) FROM t GROUP BY prefix");
    BOOST_TEST(keys_of(a) == strs{"SUBSTRING(symbol, 1, 2)"}, boost::test_tools::per_element());
    BOOST_TEST(has(a.reason, "prefix in GROUP BY is the select alias of SUBSTRING(symbol, 1, 2)"), a.reason);
    const plan n = plan_of("SELECT region, product, SUM(q) FROM t GROUP BY 2, 1");
    BOOST_TEST(keys_of(n) == strs({"product", "region"}), boost::test_tools::per_element());
    BOOST_TEST(has(plan_error_of("SELECT a, COUNT(*) FROM t GROUP BY 3"),
                   "line 1:36: GROUP BY position 3 is out of range: the select list has 2 item(s)"));
    BOOST_TEST(
        has(plan_error_of("SELECT * FROM t GROUP BY 1"), "line 1:26: GROUP BY position 1 refers to '*'"));
}

BOOST_AUTO_TEST_CASE(repeated_group_by_items_count_once) {
    std::string q = "SELECT UPPER(sym) AS s, COUNT(*) FROM t GROUP BY s";
    for (int i = 0; i < 2'000; ++i) q += ", s, 1";
    const plan p = plan_of(q);
    BOOST_TEST(keys_of(p) == strs{"UPPER(sym)"}, boost::test_tools::per_element());
    BOOST_TEST(has(p.reason, "GROUP BY s, s, 1, s, 1, s, 1, s, ..."), p.reason);
}

BOOST_AUTO_TEST_CASE(many_inputs_one_key) {
    std::string q = "SELECT * FROM t0";
    for (int i = 1; i <= 64; ++i)
        q += " JOIN t" + std::to_string(i) + " ON t" + std::to_string(i - 1) + ".k = t" + std::to_string(i) +
             ".k";
    const plan p = plan_of(q);
    BOOST_TEST(p.routing.strategy == sk::always_hash);
    BOOST_TEST(p.per_source.size() == 65u);
}

BOOST_AUTO_TEST_CASE(group_by_partition_keeps_source_partitions_together) {
    const plan p = plan_of("SELECT _partition, COUNT(*) FROM t GROUP BY _partition");
    BOOST_TEST(p.routing.strategy == sk::sticky_partition);
    BOOST_TEST(p.routing.keys.empty());
    const plan both = plan_of("SELECT _partition, sym, COUNT(*) FROM t GROUP BY _partition, sym");
    BOOST_TEST(both.routing.strategy == sk::always_hash);
    BOOST_TEST(keys_of(both) == strs{"sym"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(several_requirements_keep_only_common_keys) {
    const plan p =
        plan_of("SELECT a, b, SUM(x) OVER (PARTITION BY a ORDER BY ts), COUNT(*) FROM t GROUP BY a, b");
    BOOST_TEST(keys_of(p) == strs{"a"}, boost::test_tools::per_element());
    const plan none = plan_of("SELECT a, SUM(x) OVER (PARTITION BY b), COUNT(*) FROM t GROUP BY a");
    BOOST_TEST(none.routing.strategy == sk::fan_in);
    BOOST_TEST(has(none.reason, "No routing key keeps all of GROUP BY a, PARTITION BY b together"),
               none.reason);
    const plan distinct = plan_of("SELECT DISTINCT COUNT(*) FROM t GROUP BY a");
    BOOST_TEST(distinct.routing.strategy == sk::fan_in); // equal counts of different groups must meet
}

BOOST_AUTO_TEST_CASE(joins_hash_every_input_by_its_side) {
    const plan p = plan_of("SELECT o.id, c.name FROM orders o JOIN customers c ON o.customer_id = c.id "
                           "AND o.region = c.region WITHIN INTERVAL '5' MINUTES");
    BOOST_TEST(p.routing.strategy == sk::always_hash);
    BOOST_REQUIRE(p.per_source.size() == 2u);
    BOOST_TEST(p.per_source[0].source == "orders");
    BOOST_TEST(p.per_source[0].alias == "o");
    BOOST_TEST(p.per_source[1].source == "customers");
    BOOST_TEST(keys_of(p) == strs({"customer_id", "region"}), boost::test_tools::per_element());
    BOOST_TEST(p.per_source[1].keys.size() == 2u);
    BOOST_TEST(p.per_source[1].keys[0].text == "id");
    BOOST_TEST(p.per_source[1].keys[1].text == "region");
    BOOST_TEST(p.per_source[0].keys == p.routing.keys);

    // GROUP BY a join key: still hashed by the join keys.
    const plan g =
        plan_of("SELECT c.id, COUNT(*) FROM orders o JOIN customers c ON o.customer_id = c.id GROUP BY c.id");
    BOOST_TEST(g.routing.strategy == sk::always_hash);
    BOOST_TEST(keys_of(g) == strs{"customer_id"}, boost::test_tools::per_element());
    // Unqualified names resolve through the input that reads them qualified.
    const plan u =
        plan_of("SELECT customer_id, COUNT(*) FROM orders o JOIN customers c ON o.customer_id = c.id "
                "GROUP BY customer_id");
    BOOST_TEST(u.routing.strategy == sk::always_hash);
    // An unqualified name both inputs read: the non-null-extended input's.
    const plan amb = plan_of("SELECT customer_id, COUNT(*) FROM orders o JOIN customers c "
                             "ON o.customer_id = c.customer_id GROUP BY customer_id");
    BOOST_TEST(amb.routing.strategy == sk::always_hash);
    BOOST_TEST(keys_of(amb) == strs{"customer_id"}, boost::test_tools::per_element());
    const plan amb_full = plan_of("SELECT customer_id, COUNT(*) FROM orders o FULL JOIN customers c "
                                  "ON o.customer_id = c.customer_id GROUP BY customer_id");
    BOOST_TEST(amb_full.routing.strategy == sk::fan_in); // both sides null-extended
    // GROUP BY something else: no key keeps both together.
    const plan r = plan_of("SELECT c.region, COUNT(*) FROM orders o JOIN customers c ON o.customer_id = c.id "
                           "GROUP BY c.region");
    BOOST_TEST(r.routing.strategy == sk::fan_in);
    BOOST_TEST(r.per_source.empty());
    // LEFT JOIN: the right side is null-extended, so its key cannot group.
    const plan l =
        plan_of("SELECT c.id, COUNT(*) FROM orders o LEFT JOIN customers c ON o.customer_id = c.id "
                "GROUP BY c.id");
    BOOST_TEST(l.routing.strategy == sk::fan_in);
    const plan l2 = plan_of("SELECT o.customer_id, COUNT(*) FROM orders o LEFT JOIN customers c "
                            "ON o.customer_id = c.id GROUP BY o.customer_id");
    BOOST_TEST(l2.routing.strategy == sk::always_hash);
    // No equality between the inputs.
    const plan ne = plan_of("SELECT * FROM a JOIN b ON a.ts > b.ts");
    BOOST_TEST(ne.routing.strategy == sk::fan_in);
    BOOST_TEST(has(ne.reason, "no equality"), ne.reason);
    // Expressions on one side.
    const plan ex = plan_of("SELECT * FROM a JOIN b ON UPPER(a.sym) = b.symbol");
    BOOST_REQUIRE(ex.per_source.size() == 2u);
    BOOST_TEST(ex.per_source[0].keys[0].text == "UPPER(a.sym)");
    BOOST_TEST(ex.per_source[1].keys[0].text == "symbol");
    // Three inputs on one key.
    const plan three = plan_of("SELECT * FROM a JOIN b ON a.k = b.k JOIN c ON b.k = c.key");
    BOOST_REQUIRE(three.per_source.size() == 3u);
    BOOST_TEST(three.per_source[2].keys[0].text == "key");
    // Self-joins: one stream routed once, so both roles need the same key.
    const plan self = plan_of("SELECT * FROM t a JOIN t b ON a.sym = b.sym");
    BOOST_TEST(self.routing.strategy == sk::always_hash);
    const plan self2 = plan_of("SELECT * FROM t a JOIN t b ON a.parent = b.id");
    BOOST_TEST(self2.routing.strategy == sk::fan_in);
}

BOOST_AUTO_TEST_CASE(unknown_and_ambiguous_inputs_are_errors) {
    BOOST_TEST(plan_error_of("SELECT x.a FROM t") ==
               "line 1:8: 'x' is not an input of the query (it reads t)");
    BOOST_TEST(plan_error_of("SELECT * FROM t JOIN t ON t.a = t.b") ==
               "line 1:22: 't' names two inputs of the query; give each its own alias");
    BOOST_TEST(has(plan_error_of("SELECT * FROM t a JOIN t b ON t.x = b.x"), "'t' is ambiguous"));
}

BOOST_AUTO_TEST_CASE(explicit_strategy_precedence) {
    const std::string groupby = "SELECT symbol, COUNT(*) FROM t GROUP BY symbol";
    // annotation > WITH > config > auto
    planner_inputs cfg;
    cfg.config_strategy = sk::fan_in;
    const plan c = plan_of(groupby, cfg);
    BOOST_TEST(c.routing.strategy == sk::fan_in);
    BOOST_TEST(c.origin == strategy_origin::config);

    const plan w = plan_of(groupby + " WITH ('partitioning_strategy' = 'hash')", cfg);
    BOOST_TEST(w.routing.strategy == sk::always_hash);
    BOOST_TEST(w.origin == strategy_origin::with_property);
    BOOST_TEST(has(w.reason, "It overrides the configuration's partitioning_strategy (fan_in)"), w.reason);

    const plan a = plan_of(
        "-- @partitioning_strategy: sticky\n" + groupby + " WITH ('partitioning_strategy' = 'hash')", cfg);
    BOOST_TEST(a.routing.strategy == sk::sticky_partition);
    BOOST_TEST(a.origin == strategy_origin::annotation);
    BOOST_TEST(has(a.reason, "annotation @partitioning_strategy at line 1:28"), a.reason);

    // An explicit "auto" at a higher level hands the choice back to analysis.
    planner_inputs rr;
    rr.config_strategy = sk::round_robin;
    const plan back = plan_of("-- @partitioning_strategy: AUTO\n" + groupby, rr);
    BOOST_TEST(back.routing.strategy == sk::always_hash);
    BOOST_TEST(back.origin == strategy_origin::automatic);
    // The config's auto is the same as no setting.
    planner_inputs autocfg;
    autocfg.config_strategy = sk::automatic;
    BOOST_TEST(plan_of(groupby, autocfg).origin == strategy_origin::automatic);
    // Aliases from the one name table.
    BOOST_TEST(plan_of("-- @partitioning_strategy: RR\nSELECT * FROM t").routing.strategy == sk::round_robin);
    BOOST_TEST(plan_of("SELECT * FROM t WITH ('partitioning_strategy'='FanIn')").routing.strategy ==
               sk::fan_in);
}

BOOST_AUTO_TEST_CASE(explicit_choices_that_break_the_query_are_refused) {
    const std::string rr = plan_error_of("-- @partitioning_strategy: round_robin\n"
                                         "SELECT symbol, COUNT(*) FROM t GROUP BY symbol");
    BOOST_TEST(
        has(rr, "line 1:28: partitioning strategy round_robin (annotation @partitioning_strategy at line "
                "1:28) is refused: GROUP BY symbol needs records to meet on one partition, and round_robin "
                "spreads them; use auto, always_hash, smart_repartition or fan_in instead"),
        rr);
    BOOST_TEST(has(plan_error_of("SELECT COUNT(*) FROM t WITH ('partitioning_strategy'='rr')"),
                   "is refused: COUNT(*) without GROUP BY needs records to meet"));
    planner_inputs cfg;
    cfg.config_strategy = sk::round_robin;
    BOOST_TEST(
        has(plan_error_of("SELECT DISTINCT a FROM t", cfg),
            "partitioning strategy round_robin (the configuration's partitioning_strategy) is refused"));
    BOOST_TEST(
        has(plan_error_of("-- @partitioning_strategy: hash\nSELECT * FROM t"),
            "line 1:28: partitioning strategy always_hash (annotation @partitioning_strategy at line 1:28) "
            "needs routing keys, but the query is stateless"));
    BOOST_TEST(has(plan_error_of("-- @partitioning_strategy: smart\nSELECT COUNT(*) FROM t"),
                   "needs every record on one partition, and hashing spreads them"));
    BOOST_TEST(
        has(plan_error_of("-- @partitioning_strategy: hash\nSELECT COUNT(*) FROM t GROUP BY _partition"),
            "groups by _partition, which is not a record field"));
    BOOST_TEST(
        plan_error_of("-- @partitioning_strategy: consistent\nSELECT * FROM t") ==
        "line 1:28: annotation @partitioning_strategy: unknown partitioning strategy 'consistent'; expected "
        "one of: " +
            valid_strategy_names());
    BOOST_TEST(has(plan_error_of("SELECT * FROM t WITH ('partitioning_strategy' = 'x')"),
                   "line 1:49: WITH 'partitioning_strategy': unknown partitioning strategy 'x'"));
    BOOST_TEST(has(
        plan_error_of("-- @partitioning_strategy: hash\n-- @partitioning_strategy: hash\nSELECT * FROM t"),
        "line 2:4: annotation @partitioning_strategy is given twice (first at line 1:28)"));
}

BOOST_AUTO_TEST_CASE(sticky_for_a_keyed_query_is_accepted_with_a_warning) {
    const std::string q = "-- @partitioning_strategy: sticky\nSELECT symbol, COUNT(*) FROM t GROUP BY symbol";
    const plan p = plan_of(q);
    BOOST_TEST(p.routing.strategy == sk::sticky_partition);
    BOOST_TEST(p.routing.keys.empty());
    BOOST_TEST(any_warning(
        p, "sticky_partition keeps GROUP BY symbol together only if the source is partitioned by"));
    planner_inputs in;
    in.source.key_columns = {"symbol"};
    in.source.partitions = 12;
    const plan ok = plan_of(q, in);
    BOOST_TEST(ok.warnings.empty());
    BOOST_TEST(has(ok.reason, "The source declares it is partitioned by a subset of symbol"), ok.reason);
    const plan global = plan_of("-- @partitioning_strategy: sticky\nSELECT COUNT(*) FROM t");
    BOOST_TEST(any_warning(global, "single partition"));
}

BOOST_AUTO_TEST_CASE(fan_in_is_always_accepted_and_its_target_checked) {
    planner_inputs in;
    in.fan_in_target = partition_id{3};
    const plan p = plan_of("-- @partitioning_strategy: fanin\nSELECT a, COUNT(*) FROM t GROUP BY a", in);
    BOOST_TEST(p.routing.strategy == sk::fan_in);
    BOOST_TEST(p.routing.fan_in_target.value() == 3u);
    BOOST_TEST(p.routing.keys.empty());
    in.fan_in_target = partition_id{8};
    BOOST_TEST(plan_error_of("SELECT COUNT(*) FROM t", in) ==
               "fan_in target partition 8 is out of range for N=8 "
               "partitions");
}

BOOST_AUTO_TEST_CASE(per_source_order_makes_stateless_queries_sticky) {
    planner_inputs in;
    in.per_source_order = true;
    const plan p = plan_of("SELECT * FROM t WHERE a > 1", in);
    BOOST_TEST(p.routing.strategy == sk::sticky_partition);
    BOOST_TEST(has(p.reason, "per-source order"), p.reason);
    BOOST_TEST(plan_of("SELECT a, COUNT(*) FROM t GROUP BY a", in).routing.strategy == sk::always_hash);
}

BOOST_AUTO_TEST_CASE(smart_repartition_when_the_source_is_aligned) {
    planner_inputs in;
    in.hash = hash_function::kafka_murmur2;
    in.source.key_columns = {"Symbol"};
    in.source.partitioner = hash_function::kafka_murmur2;
    in.source.partitions = 16;
    const std::string q = "SELECT symbol, COUNT(*) FROM t GROUP BY symbol";
    const plan p = plan_of(q, in);
    BOOST_TEST(p.routing.strategy == sk::smart_repartition);
    BOOST_TEST(keys_of(p) == strs{"symbol"}, boost::test_tools::per_element());
    BOOST_TEST(has(p.reason, "smart_repartition: the source declares it was partitioned by symbol"),
               p.reason);
    BOOST_TEST(p.routing.source.partitions == 16u);

    in.partitions = 6; // 6 does not divide 16
    const plan q6 = plan_of(q, in);
    BOOST_TEST(q6.routing.strategy == sk::always_hash);
    BOOST_TEST(has(q6.reason, "smart_repartition is not possible: N=6 does not divide the source's P=16"),
               q6.reason);

    in.partitions = 8;
    in.hash = hash_function::xxh3; // the source used murmur2, the plan hashes with xxh3
    BOOST_TEST(plan_of(q, in).routing.strategy == sk::always_hash);

    // Explicit smart on a misaligned source: accepted, hashes, says so.
    const plan e = plan_of("-- @partitioning_strategy: smart\n" + q, in);
    BOOST_TEST(e.routing.strategy == sk::smart_repartition);
    BOOST_TEST(any_warning(e, "smart_repartition has no fast path here"));
}

BOOST_AUTO_TEST_CASE(partition_count_precedence_and_validation) {
    const std::string q = "SELECT a, COUNT(*) FROM t GROUP BY a";
    BOOST_TEST(plan_of(q).routing.partitions == 8u);
    BOOST_TEST(plan_of(q + " WITH ('num_partitions' = '16')").routing.partitions == 16u);
    BOOST_TEST(
        plan_of("-- @num_partitions: 4\n" + q + " WITH ('num_partitions' = '16')").routing.partitions == 4u);
    planner_inputs in;
    in.partitions_override = 2;
    const plan o = plan_of("-- @num_partitions: 4\n" + q, in);
    BOOST_TEST(o.routing.partitions == 2u);
    BOOST_TEST(has(o.reason, "N=2 comes from the command line"), o.reason);
    BOOST_TEST(
        plan_error_of("-- @num_partitions: many\n" + q) ==
        "line 1:21: annotation @num_partitions: expected a partition count in [1, 65535], found 'many'");
    BOOST_TEST(has(plan_error_of(q + " WITH ('num_partitions' = 0)"),
                   "WITH 'num_partitions': expected a partition count"));
    BOOST_TEST(has(plan_error_of("-- @num_partitions: 99999\n" + q), "found '99999'"));
    planner_inputs small;
    small.key_groups = 16;
    BOOST_TEST(plan_error_of("-- @num_partitions: 32\n" + q, small) ==
               "N=32 (from annotation @num_partitions) exceeds the 16 key groups of the partition table");
    planner_inputs bad;
    bad.key_groups = 1000;
    BOOST_TEST(has(plan_error_of(q, bad), "key_groups must be a power of two"));
}

BOOST_AUTO_TEST_CASE(plans_carry_the_configured_hash_parameters) {
    planner_inputs in;
    in.hash = hash_function::kafka_murmur2;
    in.seed = 99;
    in.key_groups = 1024;
    const plan p = plan_of("SELECT a, COUNT(*) FROM t GROUP BY a", in);
    BOOST_TEST(p.routing.hash == hash_function::kafka_murmur2);
    BOOST_TEST(p.routing.seed == 99u);
    BOOST_TEST(p.routing.key_groups == 1024u);
    BOOST_TEST(p.routing.strategy != sk::automatic);
}

BOOST_AUTO_TEST_CASE(parse_errors_pass_through_plan_query) {
    BOOST_CHECK_THROW((void)plan_query("SELECT FROM t", {}), sql::parse_error);
}

BOOST_AUTO_TEST_SUITE_END()
