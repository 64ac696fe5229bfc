#include "control/sql/parser.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <unordered_map>
#include <utility>

namespace shardgate::sql {
namespace {

// Words that end an expression or start a clause: never a bare column
// name or an implicit alias (quote them to use them as names).
constexpr std::array<std::string_view, 47> reserved_words{{
    "ALL",   "AND",      "AS",     "ASC",  "BETWEEN", "BY",        "CASE",     "CAST",   "CREATE", "CROSS",
    "DESC",  "DISTINCT", "ELSE",   "EMIT", "END",     "ESCAPE",    "EXCEPT",   "EXISTS", "FALSE",  "FROM",
    "FULL",  "GROUP",    "HAVING", "IN",   "INNER",   "INTERSECT", "INTERVAL", "IS",     "JOIN",   "LEFT",
    "LIKE",  "LIMIT",    "NOT",    "NULL", "ON",      "OR",        "ORDER",    "OUTER",  "OVER",   "PRIMARY",
    "RIGHT", "SELECT",   "THEN",   "TRUE", "UNION",   "WHEN",      "WHERE",
}};
// Not reserved for expressions but clause words after a select list or a
// FROM item, so never an implicit alias there.
constexpr std::array<std::string_view, 3> clause_words{{"WINDOW", "WITH", "WITHIN"}};

bool is_reserved(const token& t) noexcept {
    if (t.kind != token_kind::identifier) return false;
    for (auto w : reserved_words)
        if (iequals(t.text, w)) return true;
    return false;
}

bool is_clause_word(const token& t) noexcept {
    if (t.kind != token_kind::identifier) return false;
    for (auto w : clause_words)
        if (iequals(t.text, w)) return true;
    return false;
}

/// INTERVAL units and their length in milliseconds; 0 when `t` is none.
std::uint64_t unit_ms(const token& t) noexcept {
    if (t.kind != token_kind::identifier) return 0;
    const std::string_view s = t.text;
    auto is = [&](std::string_view one, std::string_view many) {
        return iequals(s, one) || iequals(s, many);
    };
    if (is("MILLISECOND", "MILLISECONDS")) return 1;
    if (is("SECOND", "SECONDS")) return 1000;
    if (is("MINUTE", "MINUTES")) return 60'000;
    if (is("HOUR", "HOURS")) return 3'600'000;
    if (is("DAY", "DAYS")) return 86'400'000;
    return 0;
}

constexpr const char* unit_names = "a unit MILLISECOND(S), SECOND(S), MINUTE(S), HOUR(S) or DAY(S)";

class parser {
public:
    parser(const std::vector<token>& toks, statement& st) : toks_(toks), st_(st) {}

    void parse_statement() {
        const token& first = peek();
        if (is_keyword(first, "CREATE")) {
            parse_create();
        } else if (is_keyword(first, "SELECT")) {
            st_.kind = statement_kind::select;
            parse_select(st_.select);
        } else {
            fail(first, "SELECT or CREATE STREAM|TABLE");
        }
        accept_symbol(";");
        if (peek().kind != token_kind::end) {
            if (is_keyword(peek(), "SELECT") || is_keyword(peek(), "CREATE") || is_keyword(peek(), "INSERT"))
                fail(peek(), "end of input (one statement per query)");
            if (is_keyword(peek(), "UNION") || is_keyword(peek(), "INTERSECT") ||
                is_keyword(peek(), "EXCEPT"))
                fail(peek(), "end of query (UNION, INTERSECT and EXCEPT are not supported)");
            fail(peek(), "end of query");
        }
    }

private:
    // ---- tokens -------------------------------------------------------
    const token& peek(std::size_t k = 0) const noexcept {
        const std::size_t at = i_ + k;
        return at < toks_.size() ? toks_[at] : toks_.back();
    }
    const token& next() noexcept {
        const token& t = toks_[i_];
        if (t.kind != token_kind::end) ++i_;
        return t;
    }
    bool at_symbol(std::string_view s, std::size_t k = 0) const noexcept {
        return peek(k).kind == token_kind::symbol && peek(k).text == s;
    }
    bool accept_symbol(std::string_view s) {
        if (!at_symbol(s)) return false;
        next();
        return true;
    }
    void expect_symbol(std::string_view s, std::string_view expected = {}) {
        if (!accept_symbol(s))
            fail(peek(), expected.empty() ? "'" + std::string(s) + "'" : std::string(expected));
    }
    bool at_keyword(std::string_view k, std::size_t ahead = 0) const noexcept {
        return is_keyword(peek(ahead), k);
    }
    bool accept_keyword(std::string_view k) {
        if (!at_keyword(k)) return false;
        next();
        return true;
    }
    void expect_keyword(std::string_view k, std::string_view expected = {}) {
        if (!accept_keyword(k)) fail(peek(), expected.empty() ? std::string(k) : std::string(expected));
    }
    [[noreturn]] void fail(const token& t, std::string expected) const {
        if (t.kind == token_kind::end) throw parse_error(t.pos, std::move(expected), "", true);
        throw parse_error(t.pos, std::move(expected), std::string(t.text));
    }
    std::uint32_t end_of_previous() const noexcept {
        if (i_ == 0) return 0;
        const token& t = toks_[i_ - 1];
        return t.offset + static_cast<std::uint32_t>(t.text.size());
    }

    struct depth_guard {
        depth_guard(parser& p, const token& at) : p_(p) {
            if (++p_.depth_ > max_nesting)
                p_.fail(at, "at most " + std::to_string(max_nesting) + " levels of nesting");
        }
        ~depth_guard() { --p_.depth_; }
        depth_guard(const depth_guard&) = delete;
        depth_guard& operator=(const depth_guard&) = delete;
        parser& p_;
    };

    // ---- names ----------------------------------------------------------
    bool at_name() const noexcept {
        const token& t = peek();
        return t.kind == token_kind::quoted_identifier ||
               (t.kind == token_kind::identifier && !is_reserved(t));
    }
    std::string name_of(const token& t) const {
        return t.kind == token_kind::quoted_identifier ? t.value : std::string(t.text);
    }
    std::string expect_name(std::string_view what) {
        if (!at_name()) fail(peek(), std::string(what));
        return name_of(next());
    }
    /// Optional alias after an expression or a FROM item: `AS name` or a bare
    /// name that is not a keyword or clause word.
    std::string parse_alias() {
        if (accept_keyword("AS")) {
            if (!at_name() || is_clause_word(peek())) fail(peek(), "an alias after AS");
            return name_of(next());
        }
        if (at_name() && !is_clause_word(peek())) return name_of(next());
        return {};
    }

    // ---- statements -----------------------------------------------------
    void parse_create() {
        expect_keyword("CREATE");
        if (accept_keyword("OR")) expect_keyword("REPLACE", "REPLACE after CREATE OR");
        if (accept_keyword("STREAM"))
            st_.kind = statement_kind::create_stream;
        else if (accept_keyword("TABLE"))
            st_.kind = statement_kind::create_table;
        else
            fail(peek(), "STREAM or TABLE after CREATE");
        if (accept_keyword("IF")) {
            expect_keyword("NOT", "NOT EXISTS after IF");
            expect_keyword("EXISTS", "EXISTS after IF NOT");
        }
        st_.name = expect_name("a stream or table name");
        while (accept_symbol(".")) st_.name += "." + expect_name("a name after '.'");
        if (accept_symbol("(")) {
            do {
                column_def c;
                c.pos = peek().pos;
                c.name = expect_name("a column name");
                if (peek().kind == token_kind::identifier && !is_reserved(peek())) {
                    c.type = to_upper(next().text);
                    c.type += parse_type_params();
                }
                if (accept_keyword("PRIMARY"))
                    expect_keyword("KEY", "KEY after PRIMARY");
                else
                    accept_keyword("KEY");
                st_.columns.push_back(std::move(c));
            } while (accept_symbol(","));
            expect_symbol(")", "',' or ')' after a column definition");
        }
        if (at_keyword("WITH")) parse_with();
        expect_keyword("AS", "AS SELECT ... (CREATE STREAM|TABLE name AS SELECT)");
        if (!at_keyword("SELECT")) fail(peek(), "SELECT after AS");
        parse_select(st_.select);
    }

    /// "(10)" or "(10,2)" after a type name, or "".
    std::string parse_type_params() {
        if (!at_symbol("(")) return {};
        next();
        std::string out = "(";
        do {
            const token& t = peek();
            if (t.kind != token_kind::integer) fail(t, "an integer type parameter");
            next();
            if (out.size() > 1) out += ",";
            out += t.text;
        } while (accept_symbol(","));
        expect_symbol(")", "',' or ')' after a type parameter");
        return out + ")";
    }

    void parse_with() {
        const token& with = next();
        if (!st_.with.empty()) fail(with, "at most one WITH clause");
        expect_symbol("(", "'(' after WITH");
        do {
            property p;
            const token& k = peek();
            p.pos = k.pos;
            if (k.kind == token_kind::string)
                p.key = k.value;
            else if (k.kind == token_kind::identifier || k.kind == token_kind::quoted_identifier)
                p.key = name_of(k);
            else
                fail(k, "a property name such as 'num_partitions'");
            next();
            // Unquoted dotted names: kafka.topic = '...'.
            while (k.kind == token_kind::identifier && accept_symbol(".")) {
                const token& part = peek();
                if (part.kind != token_kind::identifier) fail(part, "a name after '.'");
                p.key += "." + std::string(next().text);
            }
            expect_symbol("=", "'=' after property name");
            const token& v = peek();
            p.value_pos = v.pos;
            if (v.kind == token_kind::string)
                p.value = v.value;
            else if (v.kind == token_kind::integer || v.kind == token_kind::decimal ||
                     is_keyword(v, "TRUE") || is_keyword(v, "FALSE") || v.kind == token_kind::identifier)
                p.value = std::string(v.text);
            else
                fail(v, "a property value (a string, number or TRUE/FALSE)");
            next();
            const auto [seen, fresh] = with_keys_.emplace(to_lower(p.key), st_.with.size());
            if (!fresh) {
                const property& q = st_.with[seen->second];
                throw parse_error(p.pos,
                                  "each WITH property once ('" + q.key + "' is already set at line " +
                                      std::to_string(q.pos.line) + ":" + std::to_string(q.pos.column) + ")",
                                  std::string(k.text));
            }
            st_.with.push_back(std::move(p));
        } while (accept_symbol(","));
        expect_symbol(")", "',' or ')' in WITH (...)");
    }

    void parse_select(select_stmt& s) {
        s.pos = peek().pos;
        expect_keyword("SELECT");
        if (accept_keyword("DISTINCT"))
            s.distinct = true;
        else
            accept_keyword("ALL");
        do {
            s.items.push_back(parse_select_item());
        } while (accept_symbol(","));
        if (!at_keyword("FROM")) fail(peek(), "',' or FROM");
        next();
        s.from = parse_table_ref();
        parse_joins(s);
        if (accept_keyword("WHERE")) s.where = parse_expr();
        parse_tail(s);
    }

    select_item parse_select_item() {
        select_item item;
        const token& t = peek();
        if (at_symbol("*")) {
            next();
            item.value = leaf(expr_kind::star, t);
            return item;
        }
        if ((t.kind == token_kind::identifier || t.kind == token_kind::quoted_identifier) &&
            at_symbol(".", 1) && at_symbol("*", 2)) {
            if (is_reserved(t)) fail(t, "an expression");
            auto e = leaf(expr_kind::star, t);
            e->qualifier = name_of(t);
            next();
            next();
            next();
            e->end = end_of_previous();
            item.value = std::move(e);
            return item;
        }
        if (t.kind == token_kind::end || is_keyword(t, "FROM")) fail(t, "an expression or '*'");
        item.value = parse_expr();
        item.alias = parse_alias();
        if (accept_keyword("PRIMARY")) {
            expect_keyword("KEY", "KEY after PRIMARY");
            item.primary_key = true;
        }
        return item;
    }

    table_ref parse_table_ref() {
        table_ref r;
        r.pos = peek().pos;
        if (at_symbol("(")) fail(peek(), "a stream or table name (subqueries are not supported)");
        r.name = expect_name("a stream or table name");
        while (accept_symbol(".")) r.name += "." + expect_name("a name after '.'");
        r.alias = parse_alias();
        return r;
    }

    void parse_joins(select_stmt& s) {
        for (;;) {
            const token& start = peek();
            join_kind kind = join_kind::inner;
            if (at_symbol(",")) fail(start, "JOIN ... ON (comma joins are not supported)");
            if (at_keyword("CROSS") || at_keyword("NATURAL"))
                fail(start, "JOIN ... ON (" + to_upper(start.text) + " JOIN is not supported)");
            if (accept_keyword("JOIN")) {
            } else if (accept_keyword("INNER")) {
                expect_keyword("JOIN", "JOIN after INNER");
            } else if (at_keyword("LEFT") || at_keyword("RIGHT") || at_keyword("FULL")) {
                kind = at_keyword("LEFT")    ? join_kind::left
                       : at_keyword("RIGHT") ? join_kind::right
                                             : join_kind::full;
                next();
                accept_keyword("OUTER");
                expect_keyword("JOIN", "JOIN after " + to_upper(start.text) + " [OUTER]");
            } else {
                return;
            }
            if (s.joins.size() >= max_joins)
                fail(start, "at most " + std::to_string(max_joins) + " JOINs in one query");
            join_clause j;
            j.pos = start.pos;
            j.kind = kind;
            j.table = parse_table_ref();
            if (accept_keyword("WITHIN")) j.within_ms = parse_duration("a duration after WITHIN");
            if (at_keyword("USING")) fail(peek(), "ON (JOIN ... USING is not supported)");
            expect_keyword("ON", "ON after the joined stream or table");
            j.on = parse_expr();
            if (accept_keyword("WITHIN")) {
                if (j.within_ms) fail(toks_[i_ - 1], "one WITHIN per JOIN");
                j.within_ms = parse_duration("a duration after WITHIN");
            }
            s.joins.push_back(std::move(j));
        }
    }

    void parse_tail(select_stmt& s) {
        bool seen_group = false, seen_having = false, seen_order = false, seen_limit = false,
             seen_emit = false;
        auto once = [&](bool& seen, const token& t, const char* what) {
            if (seen) fail(t, std::string("at most one ") + what + " clause");
            seen = true;
        };
        for (;;) {
            const token& t = peek();
            if (is_keyword(t, "GROUP")) {
                once(seen_group, t, "GROUP BY");
                next();
                expect_keyword("BY", "BY after GROUP");
                s.group_by_pos = t.pos;
                s.group_by = parse_expr_list();
            } else if (is_keyword(t, "WINDOW")) {
                if (s.window) fail(t, "at most one WINDOW clause");
                next();
                s.window = parse_window(t);
            } else if (is_keyword(t, "HAVING")) {
                once(seen_having, t, "HAVING");
                next();
                s.having = parse_expr();
            } else if (is_keyword(t, "ORDER")) {
                once(seen_order, t, "ORDER BY");
                next();
                expect_keyword("BY", "BY after ORDER");
                s.order_by_pos = t.pos;
                s.order_by = parse_order_list();
            } else if (is_keyword(t, "LIMIT")) {
                once(seen_limit, t, "LIMIT");
                next();
                const token& n = peek();
                if (n.kind != token_kind::integer) fail(n, "a non-negative integer after LIMIT");
                next();
                s.limit_pos = t.pos;
                s.limit = n.number;
            } else if (is_keyword(t, "EMIT")) {
                once(seen_emit, t, "EMIT");
                next();
                s.emit = parse_emit_mode();
            } else if (is_keyword(t, "WITH")) {
                parse_with();
            } else if (is_keyword(t, "WHERE")) {
                fail(t, "WHERE before GROUP BY, WINDOW, HAVING, ORDER BY, LIMIT and EMIT");
            } else if (is_keyword(t, "JOIN") || is_keyword(t, "INNER") || is_keyword(t, "LEFT") ||
                       is_keyword(t, "RIGHT") || is_keyword(t, "FULL")) {
                fail(t, "JOIN right after FROM (before WHERE and the other clauses)");
            } else {
                return;
            }
        }
    }

    emit_mode parse_emit_mode() {
        if (accept_keyword("CHANGES")) return emit_mode::changes;
        if (accept_keyword("FINAL")) return emit_mode::final;
        fail(peek(), "CHANGES or FINAL after EMIT");
    }

    std::vector<expr_ptr> parse_expr_list() {
        std::vector<expr_ptr> out;
        do {
            out.push_back(parse_expr());
        } while (accept_symbol(","));
        return out;
    }

    std::vector<order_item> parse_order_list() {
        std::vector<order_item> out;
        do {
            order_item o;
            o.value = parse_expr();
            if (accept_keyword("DESC"))
                o.descending = true;
            else
                accept_keyword("ASC");
            if (accept_keyword("NULLS")) {
                if (!accept_keyword("FIRST") && !accept_keyword("LAST"))
                    fail(peek(), "FIRST or LAST after NULLS");
            }
            out.push_back(std::move(o));
        } while (accept_symbol(","));
        return out;
    }

    // ---- durations and windows -----------------------------------------
    bool at_duration() const noexcept { return at_duration_after(0); }
    bool at_duration_after(std::size_t k) const noexcept {
        const token& t = peek(k);
        return t.kind == token_kind::duration || is_keyword(t, "INTERVAL") ||
               (t.kind == token_kind::integer && unit_ms(peek(k + 1)) != 0);
    }

    /// A duration in ms: 5s | INTERVAL '5' SECOND | INTERVAL 5 SECONDS | 5 SECONDS.
    std::uint64_t parse_duration(std::string_view expected) {
        const token& t = peek();
        if (t.kind == token_kind::duration) {
            next();
            return t.number;
        }
        std::uint64_t amount = 0;
        if (is_keyword(t, "INTERVAL")) {
            next();
            const token& v = peek();
            if (v.kind == token_kind::integer) {
                amount = v.number;
            } else if (v.kind == token_kind::string) {
                amount = interval_amount(v);
            } else {
                fail(v, "an amount after INTERVAL (as in INTERVAL '5' MINUTE)");
            }
            next();
        } else if (t.kind == token_kind::integer && unit_ms(peek(1)) != 0) {
            amount = t.number;
            next();
        } else {
            fail(t, std::string(expected) + " (as in 5s, 100ms, 1m or INTERVAL '5' SECOND)");
        }
        const token& u = peek();
        const std::uint64_t scale = unit_ms(u);
        if (scale == 0) fail(u, unit_names);
        next();
        if (amount > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / scale)
            fail(u, "a duration no longer than 9223372036854775807 ms");
        return amount * scale;
    }

    std::uint64_t interval_amount(const token& v) const {
        std::string_view s = v.value;
        while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
        while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
        if (s.empty() || s.size() > 18 ||
            !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
            fail(v, "a whole number of units inside INTERVAL '...'");
        std::uint64_t n = 0;
        for (char c : s) n = n * 10 + static_cast<std::uint64_t>(c - '0');
        return n;
    }

    window_clause parse_window(const token& window_token) {
        window_clause w;
        w.pos = window_token.pos;
        const token& k = peek();
        if (is_keyword(k, "TUMBLING"))
            w.kind = window_kind::tumbling;
        else if (is_keyword(k, "SLIDING") || is_keyword(k, "HOPPING"))
            w.kind = window_kind::sliding;
        else if (is_keyword(k, "SESSION"))
            w.kind = window_kind::session;
        else
            fail(k, "TUMBLING, SLIDING or SESSION after WINDOW");
        next();
        const token& open = peek();
        expect_symbol("(", "'(' after " + to_upper(k.text));
        struct arg {
            const token* at;
            bool is_duration;
            std::uint64_t ms;
            expr_ptr column;
        };
        std::vector<arg> args;
        do {
            // The SIZE / ADVANCE BY spelling: TUMBLING (SIZE 1 MINUTE), HOPPING (SIZE 1 HOUR, ADVANCE BY 5
            // MINUTES)
            if (at_keyword("SIZE") && at_duration_after(1)) {
                next();
            } else if (at_keyword("ADVANCE") && at_keyword("BY", 1)) {
                next();
                next();
                if (!at_duration()) fail(peek(), "a duration after ADVANCE BY");
            }
            const token& a = peek();
            if (args.size() >= 16) fail(a, "at most 16 window arguments");
            if (at_duration()) {
                args.push_back({&a, true, parse_duration("a duration"), nullptr});
            } else if (a.kind == token_kind::identifier || a.kind == token_kind::quoted_identifier) {
                if (is_reserved(a)) fail(a, "a time column or a duration");
                auto c = parse_primary();
                if (c->kind != expr_kind::column) fail(a, "a time column or a duration");
                args.push_back({&a, false, 0, std::move(c)});
            } else {
                fail(a, "a time column or a duration (as in 5s, 1m or INTERVAL '5' SECOND)");
            }
        } while (accept_symbol(","));
        expect_symbol(")", "',' or ')' in the window specification");

        // Shapes: durations in the given order, one optional time column
        // first or last, SESSION keys after (time_col, gap).
        std::vector<std::size_t> durs;
        for (std::size_t i = 0; i < args.size(); ++i)
            if (args[i].is_duration) durs.push_back(i);
        const std::size_t need = w.kind == window_kind::sliding ? 2 : 1;
        const char* shapes =
            w.kind == window_kind::tumbling
                ? "TUMBLING(size), TUMBLING(time_column, size) or TUMBLING(size, time_column)"
            : w.kind == window_kind::sliding
                ? "SLIDING(size, advance), SLIDING(time_column, size, advance) or "
                  "SLIDING(size, advance, time_column)"
                : "SESSION(gap), SESSION(time_column, gap[, key...]) or SESSION(gap, time_column)";
        if (durs.size() != need) {
            const token& at = durs.size() > need ? *args[durs[need]].at : open;
            fail(at, shapes);
        }
        const bool contiguous = durs.back() - durs.front() + 1 == need;
        if (!contiguous) fail(*args[durs.front() + 1].at, shapes);
        const std::size_t first = durs.front();
        const std::size_t after = durs.back() + 1;
        if (first > 1) fail(*args[1].at, shapes);
        if (first == 1) w.time_column = std::move(args[0].column);
        if (after < args.size()) {
            if (first == 1) {
                if (w.kind != window_kind::session) fail(*args[after].at, shapes);
                for (std::size_t i = after; i < args.size(); ++i)
                    w.session_keys.push_back(std::move(args[i].column));
            } else {
                if (args.size() - after > 1) fail(*args[after + 1].at, shapes);
                w.time_column = std::move(args[after].column);
            }
        }
        w.size_ms = args[first].ms;
        if (w.size_ms == 0) fail(*args[first].at, "a window size or gap greater than zero");
        if (w.kind == window_kind::sliding) {
            w.advance_ms = args[first + 1].ms;
            if (w.advance_ms == 0 || w.advance_ms > w.size_ms)
                fail(*args[first + 1].at, "an advance greater than zero and no larger than the size (" +
                                              std::to_string(w.size_ms) + " ms)");
        }
        return w;
    }

    // ---- expressions ----------------------------------------------------
    expr_ptr leaf(expr_kind kind, const token& t) const {
        auto e = std::make_unique<expr>();
        e->kind = kind;
        e->pos = t.pos;
        e->begin = t.offset;
        e->end = t.offset + static_cast<std::uint32_t>(t.text.size());
        return e;
    }

    /// Sets the node's end to the last consumed token and its height from
    /// its children (OVER's expressions included: they hang below the call
    /// too), refusing trees taller than max_expression_height. Everything
    /// that recurses over a tree (walks, the destructor) is bounded by it.
    void close(expr& e, const token& at) {
        e.end = std::max(e.end, end_of_previous());
        std::uint32_t h = 0;
        for (const auto& a : e.args) h = std::max(h, a->height);
        if (e.over) {
            for (const auto& p : e.over->partition_by) h = std::max(h, p->height);
            for (const auto& o : e.over->order_by) h = std::max(h, o.value->height);
        }
        e.height = h + 1;
        if (e.height > max_expression_height)
            fail(at, "an expression at most " + std::to_string(max_expression_height) + " operators deep");
    }

    expr_ptr make_binary(binary_op op, expr_ptr l, expr_ptr r, const token& at) {
        auto e = std::make_unique<expr>();
        e->kind = expr_kind::binary;
        e->bop = op;
        e->pos = l->pos;
        e->begin = l->begin;
        e->end = r->end;
        e->args.push_back(std::move(l));
        e->args.push_back(std::move(r));
        close(*e, at);
        return e;
    }

    expr_ptr parse_expr() {
        depth_guard g(*this, peek());
        return parse_or();
    }

    expr_ptr parse_or() {
        auto l = parse_and();
        while (at_keyword("OR")) {
            const token& op = next();
            l = make_binary(binary_op::or_, std::move(l), parse_and(), op);
        }
        return l;
    }

    expr_ptr parse_and() {
        auto l = parse_not();
        while (at_keyword("AND")) {
            const token& op = next();
            l = make_binary(binary_op::and_, std::move(l), parse_not(), op);
        }
        return l;
    }

    expr_ptr parse_not() {
        if (!at_keyword("NOT")) return parse_predicate();
        const token& t = next();
        depth_guard g(*this, t);
        auto e = leaf(expr_kind::unary, t);
        e->uop = unary_op::not_;
        e->args.push_back(parse_not());
        close(*e, t);
        return e;
    }

    expr_ptr parse_predicate() {
        auto l = parse_concat();
        for (;;) {
            const token& t = peek();
            binary_op op{};
            bool comparison = true;
            if (t.kind == token_kind::symbol && t.text == "=")
                op = binary_op::eq;
            else if (t.kind == token_kind::symbol && (t.text == "<>" || t.text == "!="))
                op = binary_op::ne;
            else if (t.kind == token_kind::symbol && t.text == "<")
                op = binary_op::lt;
            else if (t.kind == token_kind::symbol && t.text == "<=")
                op = binary_op::le;
            else if (t.kind == token_kind::symbol && t.text == ">")
                op = binary_op::gt;
            else if (t.kind == token_kind::symbol && t.text == ">=")
                op = binary_op::ge;
            else
                comparison = false;
            if (comparison) {
                next();
                l = make_binary(op, std::move(l), parse_concat(), t);
                continue;
            }
            if (is_keyword(t, "IS")) {
                next();
                auto e = wrap(expr_kind::is_null, std::move(l));
                e->negated = accept_keyword("NOT");
                if (at_keyword("TRUE") || at_keyword("FALSE")) {
                    e->kind = expr_kind::is_truth;
                    e->number = at_keyword("TRUE") ? 1 : 0;
                    next();
                    close(*e, t);
                    l = std::move(e);
                    continue;
                }
                expect_keyword("NULL", e->negated ? "NULL, TRUE or FALSE after IS NOT"
                                                  : "NULL, TRUE, FALSE or NOT after IS");
                close(*e, t);
                l = std::move(e);
                continue;
            }
            bool negated = false;
            if (is_keyword(t, "NOT") &&
                (at_keyword("IN", 1) || at_keyword("BETWEEN", 1) || at_keyword("LIKE", 1))) {
                negated = true;
                next();
            }
            const token& k = peek();
            if (is_keyword(k, "IN")) {
                next();
                auto e = wrap(expr_kind::in_list, std::move(l));
                e->negated = negated;
                expect_symbol("(", "'(' after IN");
                if (at_keyword("SELECT")) fail(peek(), "a list of values (subqueries are not supported)");
                do {
                    e->args.push_back(parse_expr());
                } while (accept_symbol(","));
                expect_symbol(")", "',' or ')' in the IN list");
                close(*e, k);
                l = std::move(e);
            } else if (is_keyword(k, "BETWEEN")) {
                next();
                auto e = wrap(expr_kind::between, std::move(l));
                e->negated = negated;
                e->args.push_back(parse_concat());
                expect_keyword("AND", "AND in BETWEEN ... AND ...");
                e->args.push_back(parse_concat());
                close(*e, k);
                l = std::move(e);
            } else if (is_keyword(k, "LIKE")) {
                next();
                auto e = wrap(expr_kind::like, std::move(l));
                e->negated = negated;
                e->args.push_back(parse_concat());
                if (accept_keyword("ESCAPE")) e->args.push_back(parse_concat());
                close(*e, k);
                l = std::move(e);
            } else {
                return l;
            }
        }
    }

    expr_ptr wrap(expr_kind kind, expr_ptr first) {
        auto e = std::make_unique<expr>();
        e->kind = kind;
        e->pos = first->pos;
        e->begin = first->begin;
        e->end = first->end;
        e->args.push_back(std::move(first));
        return e;
    }

    expr_ptr parse_concat() {
        auto l = parse_additive();
        while (at_symbol("||")) {
            const token& op = next();
            l = make_binary(binary_op::concat, std::move(l), parse_additive(), op);
        }
        return l;
    }

    expr_ptr parse_additive() {
        auto l = parse_multiplicative();
        while (at_symbol("+") || at_symbol("-")) {
            const token& op = next();
            l = make_binary(op.text == "+" ? binary_op::add : binary_op::sub, std::move(l),
                            parse_multiplicative(), op);
        }
        return l;
    }

    expr_ptr parse_multiplicative() {
        auto l = parse_unary();
        while (at_symbol("*") || at_symbol("/") || at_symbol("%")) {
            const token& op = next();
            const binary_op b = op.text == "*"   ? binary_op::mul
                                : op.text == "/" ? binary_op::div
                                                 : binary_op::mod;
            l = make_binary(b, std::move(l), parse_unary(), op);
        }
        return l;
    }

    expr_ptr parse_unary() {
        if (!at_symbol("-") && !at_symbol("+")) return parse_primary();
        const token& t = next();
        depth_guard g(*this, t);
        auto e = leaf(expr_kind::unary, t);
        e->uop = t.text == "-" ? unary_op::neg : unary_op::plus;
        e->args.push_back(parse_unary());
        close(*e, t);
        return e;
    }

    expr_ptr parse_primary() {
        const token& t = peek();
        switch (t.kind) {
        case token_kind::integer: {
            next();
            auto e = leaf(expr_kind::integer, t);
            e->number = static_cast<std::int64_t>(t.number);
            return e;
        }
        case token_kind::decimal: {
            next();
            auto e = leaf(expr_kind::decimal, t);
            e->text = std::string(t.text);
            return e;
        }
        case token_kind::string: {
            next();
            auto e = leaf(expr_kind::string, t);
            e->text = t.value;
            return e;
        }
        case token_kind::duration: {
            next();
            auto e = leaf(expr_kind::interval, t);
            e->number = static_cast<std::int64_t>(t.number);
            return e;
        }
        case token_kind::symbol:
            if (t.text == "(") {
                next();
                if (at_keyword("SELECT")) fail(peek(), "an expression (subqueries are not supported)");
                auto e = parse_expr();
                expect_symbol(")", "')' to close the '(' at line " + std::to_string(t.pos.line) + ":" +
                                       std::to_string(t.pos.column));
                // The parentheses belong to the expression's text.
                e->begin = t.offset;
                e->end = end_of_previous();
                e->pos = t.pos;
                return e;
            }
            fail(t, "an expression");
        case token_kind::end:
            fail(t, "an expression");
        case token_kind::identifier:
        case token_kind::quoted_identifier:
            break;
        }
        if (t.kind == token_kind::identifier) {
            if (is_keyword(t, "TRUE") || is_keyword(t, "FALSE")) {
                next();
                auto e = leaf(expr_kind::boolean, t);
                e->number = is_keyword(t, "TRUE") ? 1 : 0;
                return e;
            }
            if (is_keyword(t, "NULL")) {
                next();
                return leaf(expr_kind::null, t);
            }
            if (is_keyword(t, "INTERVAL")) {
                auto e = leaf(expr_kind::interval, t);
                e->number = static_cast<std::int64_t>(parse_duration("an interval"));
                close(*e, t);
                return e;
            }
            if (is_keyword(t, "CASE")) return parse_case();
            if (is_keyword(t, "CAST")) return parse_cast();
            if (is_keyword(t, "EXISTS") || is_keyword(t, "SELECT"))
                fail(t, "an expression (subqueries are not supported)");
            if (is_keyword(t, "CURRENT_TIMESTAMP") || is_keyword(t, "CURRENT_DATE") ||
                is_keyword(t, "CURRENT_TIME")) {
                if (!at_symbol("(", 1)) {
                    next();
                    auto e = leaf(expr_kind::call, t);
                    e->text = to_upper(t.text);
                    return e;
                }
            }
            if (at_symbol("(", 1) && (!is_reserved(t) || is_keyword(t, "LEFT") || is_keyword(t, "RIGHT")))
                return parse_call();
            if (is_reserved(t)) fail(t, "an expression");
        }
        // Column: name or qualifier.name.
        next();
        auto e = leaf(expr_kind::column, t);
        e->quoted = t.kind == token_kind::quoted_identifier;
        e->text = name_of(t);
        if (at_symbol(".")) {
            next();
            const token& n = peek();
            if (at_symbol("*"))
                fail(n, "a column name after '" + e->text + ".' ('*' only in the select list)");
            if (n.kind != token_kind::identifier && n.kind != token_kind::quoted_identifier)
                fail(n, "a column name after '" + e->text + ".'");
            next();
            e->qualifier = std::move(e->text);
            e->quoted = n.kind == token_kind::quoted_identifier;
            e->text = name_of(n);
            if (at_symbol("."))
                fail(peek(), "an operator or the end of the expression (nested fields are not supported)");
            if (at_symbol("("))
                fail(peek(),
                     "an operator or the end of the expression (qualified function names are not supported)");
        }
        if (!e->quoted) e->system = find_system_column(e->text);
        if (e->system != system_column::none) e->text = std::string(to_string(e->system));
        close(*e, t);
        return e;
    }

    expr_ptr parse_case() {
        const token& t = next();
        auto e = leaf(expr_kind::case_when, t);
        if (!at_keyword("WHEN")) {
            e->has_operand = true;
            e->args.push_back(parse_expr());
        }
        if (!at_keyword("WHEN")) fail(peek(), "WHEN in CASE");
        while (accept_keyword("WHEN")) {
            e->args.push_back(parse_expr());
            expect_keyword("THEN", "THEN after the WHEN condition");
            e->args.push_back(parse_expr());
        }
        if (accept_keyword("ELSE")) {
            e->has_else = true;
            e->args.push_back(parse_expr());
        }
        expect_keyword("END", "WHEN, ELSE or END in CASE");
        close(*e, t);
        return e;
    }

    expr_ptr parse_cast() {
        const token& t = next();
        auto e = leaf(expr_kind::cast, t);
        expect_symbol("(", "'(' after CAST");
        e->args.push_back(parse_expr());
        expect_keyword("AS", "AS in CAST(value AS type)");
        const token& ty = peek();
        if (ty.kind != token_kind::identifier) fail(ty, "a type name in CAST");
        next();
        e->text = to_upper(ty.text) + parse_type_params();
        expect_symbol(")", "')' after the CAST type");
        close(*e, t);
        return e;
    }

    expr_ptr parse_call() {
        const token& name = next();
        next(); // ( -- every argument goes through parse_expr, which bounds the nesting
        auto e = leaf(expr_kind::call, name);
        e->text = to_upper(name.text);
        const bool substring = e->text == "SUBSTRING" || e->text == "SUBSTR";
        if (at_symbol(")")) {
            // no arguments
        } else if (at_symbol("*")) {
            e->args.push_back(leaf(expr_kind::star, next()));
        } else if (e->text == "EXTRACT") {
            const token& field = peek();
            if (field.kind != token_kind::identifier)
                fail(field, "a date/time field in EXTRACT(field FROM value)");
            next();
            auto f = leaf(expr_kind::string, field);
            f->text = to_upper(field.text);
            e->args.push_back(std::move(f));
            expect_keyword("FROM", "FROM in EXTRACT(field FROM value)");
            e->args.push_back(parse_expr());
        } else {
            if (accept_keyword("DISTINCT"))
                e->distinct = true;
            else
                accept_keyword("ALL");
            e->args.push_back(parse_expr());
            if (substring && at_keyword("FROM")) {
                next();
                e->args.push_back(parse_expr());
                if (accept_keyword("FOR")) e->args.push_back(parse_expr());
            } else {
                while (accept_symbol(",")) e->args.push_back(parse_expr());
            }
        }
        expect_symbol(")", "',' or ')' in the arguments of " + e->text);
        if (at_keyword("OVER")) {
            next();
            e->over = parse_over();
        } else if (at_keyword("FILTER") && at_symbol("(", 1)) {
            fail(peek(), "')' or OVER (aggregate FILTER clauses are not supported)");
        }
        close(*e, name);
        return e;
    }

    std::unique_ptr<over_clause> parse_over() {
        auto o = std::make_unique<over_clause>();
        const token& open = peek();
        o->pos = open.pos;
        if (!at_symbol("(")) fail(open, "'(' after OVER (named windows are not supported)");
        next();
        if (at_keyword("ROWS") && at_keyword("WINDOW", 1)) {
            next();
            next();
            expect_keyword("BUFFER", "BUFFER in ROWS WINDOW BUFFER n ROWS");
            const token& n = peek();
            if (n.kind != token_kind::integer || n.number == 0) fail(n, "a positive row count after BUFFER");
            next();
            o->buffer_rows = n.number;
            expect_keyword("ROWS", "ROWS in ROWS WINDOW BUFFER n ROWS");
        }
        if (accept_keyword("PARTITION")) {
            expect_keyword("BY", "BY after PARTITION");
            o->partition_by = parse_expr_list();
        }
        if (accept_keyword("ORDER")) {
            expect_keyword("BY", "BY after ORDER");
            o->order_by = parse_order_list();
        }
        if (at_keyword("ROWS") || at_keyword("RANGE")) {
            window_frame f;
            f.range = at_keyword("RANGE");
            next();
            if (accept_keyword("BETWEEN")) {
                f.start = parse_frame_bound();
                expect_keyword("AND", "AND in BETWEEN ... AND ...");
                f.end = parse_frame_bound();
            } else {
                f.start = parse_frame_bound();
                f.end.kind = frame_bound_kind::current_row;
            }
            o->frame = f;
        }
        if (accept_keyword("EMIT")) o->emit = parse_emit_mode();
        expect_symbol(")", "PARTITION BY, ORDER BY, ROWS, RANGE, EMIT or ')' in OVER (...)");
        return o;
    }

    frame_bound parse_frame_bound() {
        frame_bound b;
        if (accept_keyword("UNBOUNDED")) {
            if (accept_keyword("PRECEDING"))
                b.kind = frame_bound_kind::unbounded_preceding;
            else if (accept_keyword("FOLLOWING"))
                b.kind = frame_bound_kind::unbounded_following;
            else
                fail(peek(), "PRECEDING or FOLLOWING after UNBOUNDED");
            return b;
        }
        if (accept_keyword("CURRENT")) {
            expect_keyword("ROW", "ROW after CURRENT");
            b.kind = frame_bound_kind::current_row;
            return b;
        }
        const token& t = peek();
        if (t.kind == token_kind::integer && unit_ms(peek(1)) == 0) {
            next();
            b.amount = t.number;
        } else if (at_duration()) {
            b.amount = parse_duration("a frame bound");
        } else {
            fail(t, "UNBOUNDED, CURRENT ROW, a row count or an interval as a frame bound");
        }
        if (accept_keyword("PRECEDING"))
            b.kind = frame_bound_kind::preceding;
        else if (accept_keyword("FOLLOWING"))
            b.kind = frame_bound_kind::following;
        else
            fail(peek(), "PRECEDING or FOLLOWING");
        return b;
    }

    const std::vector<token>& toks_;
    statement& st_;
    std::size_t i_ = 0;
    unsigned depth_ = 0;
    std::unordered_map<std::string, std::size_t> with_keys_; ///< lower-case WITH key → index in st_.with
};

} // namespace

statement parse(std::string_view sql) {
    statement st;
    st.source.assign(sql);
    lexed l = lex(st.source);
    st.annotations = std::move(l.annotations);
    parser(l.tokens, st).parse_statement();
    return st;
}

} // namespace shardgate::sql
