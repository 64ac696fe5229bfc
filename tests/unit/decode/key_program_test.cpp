#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "dataplane/keys/key_program.hpp"

using namespace shardgate;

namespace {

key_instr op(key_op o, std::int64_t imm = 0, std::string text = {}) { return {o, imm, std::move(text)}; }

key_expr expr(std::string text, std::vector<key_instr> program) {
    return key_expr{std::move(text), std::move(program)};
}

/// Fields "sym" (slot 0), "qty" (slot 1), "px" (slot 2).
std::optional<std::uint32_t> resolve(std::string_view name) {
    if (name == "sym") return 0;
    if (name == "qty") return 1;
    if (name == "px") return 2;
    return std::nullopt;
}

struct record {
    field_values f;
    std::string sym;
    record(std::string s, std::int64_t qty) : sym(std::move(s)) {
        f.values[0] = key_value::of_string(sym);
        f.values[1] = key_value::of_int(qty);
        f.values[2] = key_value::of_double(1.5);
        f.present = 0b111;
    }
};

std::string text_of(const key_value& v) { return {reinterpret_cast<const char*>(v.data), v.length}; }

key_value run(const key_expr& e, const record& r, key_status expect = key_status::ok) {
    key_program p(e, resolve);
    key_scratch s;
    key_value out;
    BOOST_REQUIRE(p.eval(r.f, s, out) == expect);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(key_program_suite)

BOOST_AUTO_TEST_CASE(string_functions) {
    const record r("  aBc ", 7);
    auto up = run(expr("UPPER(sym)", {op(key_op::field, 0, "sym"), op(key_op::upper)}), r);
    BOOST_TEST(text_of(up) == "  ABC ");
    auto low =
        run(expr("LOWER(TRIM(sym))", {op(key_op::field, 0, "sym"), op(key_op::trim), op(key_op::lower)}), r);
    BOOST_TEST(text_of(low) == "abc");
    auto sub = run(expr("SUBSTRING(sym, 3, 2)", {op(key_op::field, 0, "sym"), op(key_op::push_int, 3),
                                                 op(key_op::push_int, 2), op(key_op::substring, 3)}),
                   r);
    BOOST_TEST(text_of(sub) == "aB");
    auto tail = run(expr("SUBSTRING(sym, 4)",
                         {op(key_op::field, 0, "sym"), op(key_op::push_int, 4), op(key_op::substring, 2)}),
                    r);
    BOOST_TEST(text_of(tail) == "Bc ");
    // SQL: positions before 1 exist only as far as the length reaches.
    auto before = run(expr("SUBSTRING(sym, 0, 2)", {op(key_op::field, 0, "sym"), op(key_op::push_int, 0),
                                                    op(key_op::push_int, 2), op(key_op::substring, 3)}),
                      r);
    BOOST_TEST(text_of(before) == " ");
    auto cat = run(expr("sym || '-'",
                        {op(key_op::field, 0, "sym"), op(key_op::push_string, 0, "-"), op(key_op::concat)}),
                   r);
    BOOST_TEST(text_of(cat) == "  aBc -");
}

BOOST_AUTO_TEST_CASE(casts_and_arithmetic) {
    const record r("42", 7);
    auto i = run(expr("CAST(sym AS BIGINT) + qty * 2",
                      {op(key_op::field, 0, "sym"), op(key_op::cast_int), op(key_op::field, 0, "qty"),
                       op(key_op::push_int, 2), op(key_op::mul), op(key_op::add)}),
                 r);
    BOOST_TEST((i.type == value_type::int64 && i.i == 56));
    auto m = run(expr("qty % 3", {op(key_op::field, 0, "qty"), op(key_op::push_int, 3), op(key_op::mod)}), r);
    BOOST_TEST(m.i == 1);
    auto d = run(expr("-qty / 2", {op(key_op::field, 0, "qty"), op(key_op::neg), op(key_op::push_int, 2),
                                   op(key_op::div)}),
                 r);
    BOOST_TEST(d.i == -3); // truncating division
    auto s = run(expr("CAST(qty AS VARCHAR)", {op(key_op::field, 0, "qty"), op(key_op::cast_string)}), r);
    BOOST_TEST(text_of(s) == "7");
    auto f = run(expr("CAST(px AS BIGINT)", {op(key_op::field, 0, "px"), op(key_op::cast_int)}), r);
    BOOST_TEST(f.i == 1);
}

BOOST_AUTO_TEST_CASE(bad_values_missing_fields_and_nulls) {
    const record r("abc", 0);
    run(expr("CAST(sym AS BIGINT)", {op(key_op::field, 0, "sym"), op(key_op::cast_int)}), r,
        key_status::bad_value);
    run(expr("1 / qty", {op(key_op::push_int, 1), op(key_op::field, 0, "qty"), op(key_op::div)}), r,
        key_status::bad_value);
    run(expr("9223372036854775807 + 1",
             {op(key_op::push_int, INT64_MAX), op(key_op::push_int, 1), op(key_op::add)}),
        r, key_status::bad_value);
    record absent("x", 1);
    absent.f.present = 0b110; // no "sym"
    run(expr("UPPER(sym)", {op(key_op::field, 0, "sym"), op(key_op::upper)}), absent, key_status::missing);
    record null_sym("x", 1);
    null_sym.f.values[0] = key_value::null_value();
    auto n = run(expr("UPPER(sym) || 'x'", {op(key_op::field, 0, "sym"), op(key_op::upper),
                                            op(key_op::push_string, 0, "x"), op(key_op::concat)}),
                 null_sym);
    BOOST_TEST((n.type == value_type::null)); // NULL propagates: not the string "NULLx"
}

BOOST_AUTO_TEST_CASE(compile_errors_name_the_expression) {
    auto msg = [](const key_expr& e) {
        try {
            key_program p(e, resolve);
        } catch (const std::invalid_argument& ex) {
            return std::string(ex.what());
        }
        return std::string("no error");
    };
    BOOST_TEST(msg(expr("UPPER(nope)", {op(key_op::field, 0, "nope"), op(key_op::upper)})) ==
               "routing key 'UPPER(nope)' reads field 'nope', which the record format does not have");
    BOOST_TEST(msg(expr("bad", {op(key_op::upper)})).find("stack underflow") != std::string::npos);
    BOOST_TEST(msg(expr("two", {op(key_op::push_int, 1), op(key_op::push_int, 2)})).find("leaves 2 values") !=
               std::string::npos);
    std::vector<key_instr> deep;
    for (int i = 0; i < 17; ++i) deep.push_back(op(key_op::push_int, i));
    BOOST_TEST(msg(expr("deep", deep)).find("nests deeper") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(key_set_encodes_canonically) {
    // ("ab","c") and ("a","bc") must not collide; a single plain string key is raw bytes.
    std::vector<key_expr> two{column_key("sym"), column_key("px")};
    auto res = [](std::string_view n) -> std::optional<std::uint32_t> {
        if (n == "sym") return 0;
        if (n == "px") return 1;
        return std::nullopt;
    };
    key_set ks(two, res);
    record_burst b;
    field_values f1, f2;
    std::string a = "ab", c = "c", a2 = "a", bc = "bc";
    f1.values[0] = key_value::of_string(a);
    f1.values[1] = key_value::of_string(c);
    f2.values[0] = key_value::of_string(a2);
    f2.values[1] = key_value::of_string(bc);
    f1.present = f2.present = 0b11;
    ks.encode(b, 0, f1);
    ks.encode(b, 1, f2);
    BOOST_REQUIRE(b.key_states[0] == key_status::ok);
    BOOST_REQUIRE(b.key_states[1] == key_status::ok);
    const std::string k0(reinterpret_cast<const char*>(b.keys[0].data), b.keys[0].length);
    const std::string k1(reinterpret_cast<const char*>(b.keys[1].data), b.keys[1].length);
    BOOST_TEST(k0 != k1);

    std::vector<key_expr> one{column_key("sym")};
    key_set single(one, res);
    single.encode(b, 2, f1);
    BOOST_TEST(b.keys[2].data == f1.values[0].data); // points into the record: no copy
    BOOST_TEST(b.keys[2].length == 2u);
    f1.unusable = 0b1;
    single.encode(b, 3, f1);
    BOOST_TEST((b.key_states[3] == key_status::bad_value));
}

BOOST_AUTO_TEST_SUITE_END()
