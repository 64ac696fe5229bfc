#include "control/plan/analysis.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "control/plan/key_translate.hpp"
#include "control/plan/plan_error.hpp"

namespace shardgate::control {

std::string_view to_string(required_distribution d) noexcept {
    switch (d) {
    case required_distribution::none:
        return "none";
    case required_distribution::keys:
        return "keys";
    case required_distribution::source_partition:
        return "source_partition";
    case required_distribution::everything:
        return "everything";
    }
    return "?";
}

namespace {

using sql::expr;
using sql::expr_kind;

// Aggregates: without GROUP BY they make the query a global aggregate.
constexpr std::array<std::string_view, 44> aggregate_functions{{
    "ANY_VALUE",
    "APPROX_COUNT_DISTINCT",
    "ARBITRARY",
    "ARRAY_AGG",
    "AVG",
    "BIT_AND",
    "BIT_OR",
    "BOOL_AND",
    "BOOL_OR",
    "COLLECT_LIST",
    "COLLECT_SET",
    "CORR",
    "COUNT",
    "COUNT_DISTINCT",
    "COVAR_POP",
    "COVAR_SAMP",
    "EARLIEST_BY_OFFSET",
    "EVERY",
    "FIRST",
    "GROUP_CONCAT",
    "HISTOGRAM",
    "LAST",
    "LATEST_BY_OFFSET",
    "LISTAGG",
    "MAX",
    "MEDIAN",
    "MIN",
    "MODE",
    "PERCENTILE",
    "PERCENTILE_CONT",
    "PERCENTILE_DISC",
    "STDDEV",
    "STDDEV_POP",
    "STDDEV_SAMP",
    "STRING_AGG",
    "SUM",
    "TOPK",
    "TOPKDISTINCT",
    "VAR_POP",
    "VAR_SAMP",
    "VARIANCE",
    "APPROX_PERCENTILE",
    "MAX_BY",
    "MIN_BY",
}};
// Window functions: they need OVER; without it they are stateful over the
// whole stream, like an aggregate.
constexpr std::array<std::string_view, 11> window_functions{{
    "CUME_DIST",
    "DENSE_RANK",
    "FIRST_VALUE",
    "LAG",
    "LAST_VALUE",
    "LEAD",
    "NTH_VALUE",
    "NTILE",
    "PERCENT_RANK",
    "RANK",
    "ROW_NUMBER",
}};

bool in_list(std::string_view name, const auto& list) {
    return std::find(list.begin(), list.end(), name) != list.end();
}

bool is_stateful_function(const expr& e) {
    return e.kind == expr_kind::call && !e.over &&
           (e.distinct || in_list(e.text, aggregate_functions) || in_list(e.text, window_functions));
}

/// "a, b, c", each shortened; at most `limit` items then "...".
std::string join_texts(const std::vector<std::string>& texts, std::size_t limit = 8) {
    std::string out;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        if (i == limit) {
            out += ", ...";
            break;
        }
        if (i) out += ", ";
        out += texts[i];
    }
    return out;
}

std::string shorten(std::string s) {
    constexpr std::size_t max_len = 80; // reasons stay readable for huge expressions
    if (s.size() > max_len) {
        s.resize(max_len);
        s += "...";
    }
    return s;
}

std::string_view last_segment(std::string_view name) {
    const auto dot = name.rfind('.');
    return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

struct role {
    std::string name;
    std::string alias;
    sql::position pos;
    bool nullable = false; ///< null-extended by an outer join
};

/// One locality requirement: records equal on all `terms` must meet.
struct requirement {
    std::string label;       ///< "GROUP BY symbol, _window_start"
    std::string why;         ///< a sentence, no final period
    bool everything = false; ///< every record must meet
    bool universal = false;  ///< any column key satisfies it (DISTINCT *)
    std::vector<key_term> terms;
    std::vector<std::string> texts;             ///< each term as written
    std::unordered_set<std::string> sigs;       ///< translated terms' signatures
    std::unordered_set<std::string> plain_cols; ///< "role:field" of plain-column terms
    bool has_partition = false;                 ///< a bare _partition term
};

std::string column_sig(int role, const std::string& field) { return std::to_string(role) + ":" + field; }
std::string term_sig(const key_term& t) { return std::to_string(t.source) + "|" + program_signature(*t.key); }

class analyser {
public:
    explicit analyser(const sql::statement& st) : st_(st), s_(st.select) {}

    analysis run() {
        build_roles();
        visit_all([this](const expr& e) { check_column(e); });
        collect_requirements();
        return roles_.size() > 1 ? combine_join() : combine_single();
    }

private:
    // ---- inputs and names ---------------------------------------------
    void build_roles() {
        roles_.push_back({s_.from.name, s_.from.alias, s_.from.pos, false});
        for (const auto& j : s_.joins) {
            role r{j.table.name, j.table.alias, j.table.pos, false};
            if (j.kind == sql::join_kind::right || j.kind == sql::join_kind::full)
                for (auto& prev : roles_) prev.nullable = true;
            if (j.kind == sql::join_kind::left || j.kind == sql::join_kind::full) r.nullable = true;
            roles_.push_back(std::move(r));
        }
        std::unordered_set<std::string> names; // what each input is called in the query
        for (const auto& r : roles_) {
            const std::string& a = r.alias.empty() ? r.name : r.alias;
            if (!names.insert(sql::to_lower(a)).second)
                throw plan_error(r.pos, "'" + a + "' names two inputs of the query; give each its own alias");
        }
        index_qualifiers();
    }

    /// The input a qualifier names (alias first, then stream name). One
    /// hash lookup: qualifiers_ is built once by build_roles.
    int role_of_qualifier(const std::string& q, sql::position at) const {
        const auto it = qualifiers_.find(sql::to_lower(q));
        if (it == qualifiers_.end())
            throw plan_error(at, "'" + q + "' is not an input of the query (it reads " + inputs_text() + ")");
        if (it->second == ambiguous)
            throw plan_error(at, "'" + q + "' is ambiguous: it names more than one input; use the aliases");
        return it->second;
    }

    static constexpr int ambiguous = -2;

    void index_qualifiers() {
        // Aliases first: an alias always names its input.
        for (std::size_t i = 0; i < roles_.size(); ++i)
            if (!roles_[i].alias.empty())
                qualifiers_.emplace(sql::to_lower(roles_[i].alias), static_cast<int>(i));
        std::unordered_map<std::string, int> by_name;
        for (std::size_t i = 0; i < roles_.size(); ++i) {
            for (std::string_view n : {std::string_view(roles_[i].name), last_segment(roles_[i].name)}) {
                auto [it, fresh] = by_name.emplace(sql::to_lower(n), static_cast<int>(i));
                if (!fresh && it->second != static_cast<int>(i)) it->second = ambiguous;
            }
        }
        for (const auto& [n, r] : by_name) qualifiers_.emplace(n, r); // aliases keep precedence
    }

    std::string inputs_text() const {
        std::vector<std::string> names;
        for (const auto& r : roles_) names.push_back(r.alias.empty() ? r.name : r.name + " AS " + r.alias);
        return join_texts(names);
    }

    void check_column(const expr& e) {
        if ((e.kind != expr_kind::column && e.kind != expr_kind::star) || e.qualifier.empty()) return;
        const int r = role_of_qualifier(e.qualifier, e.pos);
        if (e.kind == expr_kind::column && e.system == sql::system_column::none)
            qualified_names_[sql::to_lower(e.text)].insert(r);
    }

    /// Source of a column: its qualifier's input; an unqualified column
    /// belongs to the only input, or to the input the query reads it from
    /// with a qualifier elsewhere. When several inputs read it, the first
    /// one that no outer join null-extends (as in GROUP BY customer_id with
    /// ON o.customer_id = c.customer_id: in joined rows both are equal).
    /// Otherwise unknown (-1).
    int source_of(const expr& c) const {
        if (!c.qualifier.empty()) return role_of_qualifier(c.qualifier, c.pos);
        if (roles_.size() == 1) return 0;
        const auto it = qualified_names_.find(sql::to_lower(c.text));
        if (it == qualified_names_.end()) return -1;
        if (it->second.size() == 1) return *it->second.begin();
        for (int r : it->second)
            if (!roles_[static_cast<std::size_t>(r)].nullable) return r;
        return -1;
    }

    key_term translate(const expr& e) const {
        return translate_key(st_, e, [this](const expr& c) { return source_of(c); });
    }

    // ---- walking ----------------------------------------------------------
    template <typename F>
    static void walk(const expr& e, F& f) {
        f(e);
        for (const auto& a : e.args) walk(*a, f);
        if (e.over) {
            for (const auto& p : e.over->partition_by) walk(*p, f);
            for (const auto& o : e.over->order_by) walk(*o.value, f);
        }
    }

    template <typename F>
    void visit_all(F f) const {
        for (const auto& i : s_.items) walk(*i.value, f);
        for (const auto& j : s_.joins) walk(*j.on, f);
        if (s_.where) walk(*s_.where, f);
        for (const auto& g : s_.group_by) walk(*g, f);
        if (s_.window) {
            if (s_.window->time_column) walk(*s_.window->time_column, f);
            for (const auto& k : s_.window->session_keys) walk(*k, f);
        }
        if (s_.having) walk(*s_.having, f);
        for (const auto& o : s_.order_by) walk(*o.value, f);
    }

    /// Expressions whose aggregates and window functions shape the output.
    template <typename F>
    void visit_output(F f) const {
        for (const auto& i : s_.items) walk(*i.value, f);
        if (s_.having) walk(*s_.having, f);
        for (const auto& o : s_.order_by) walk(*o.value, f);
    }

    // ---- requirements -----------------------------------------------------
    void add_term(requirement& r, const expr& e, std::string text) {
        key_term t = translate(e);
        if (t.key) r.sigs.insert(term_sig(t));
        if (t.key && t.key->is_plain_column() && t.source >= 0)
            r.plain_cols.insert(column_sig(t.source, t.key->text));
        if (t.bare_system == sql::system_column::partition) r.has_partition = true;
        r.terms.push_back(std::move(t));
        r.texts.push_back(shorten(std::move(text)));
    }

    requirement& add(std::string label, std::string why, bool everything = false) {
        requirement r;
        r.label = std::move(label);
        r.why = std::move(why);
        r.everything = everything;
        reqs_.push_back(std::move(r));
        return reqs_.back();
    }

    /// The expression a GROUP BY item stands for: a select-list position
    /// (GROUP BY 2) or a select alias (GROUP BY s) resolves to that item.
    const expr& group_target(const expr& g) {
        if (g.kind == expr_kind::integer) {
            const auto n = g.number;
            if (n < 1 || static_cast<std::uint64_t>(n) > s_.items.size())
                throw plan_error(g.pos, "GROUP BY position " + std::to_string(n) +
                                            " is out of range: the select list has " +
                                            std::to_string(s_.items.size()) + " item(s)");
            const expr& target = *s_.items[static_cast<std::size_t>(n - 1)].value;
            if (target.kind == expr_kind::star)
                throw plan_error(g.pos, "GROUP BY position " + std::to_string(n) + " refers to '*'");
            return target;
        }
        if (g.kind != expr_kind::column || !g.qualifier.empty() || g.system != sql::system_column::none)
            return g;
        // A select alias wins over an input column of the same name
        // (docs/sql.md). When the alias's expression reads only that column
        // (SELECT UPPER(s) AS s ... GROUP BY s) it is coarser than the
        // column, so routing by it is right either way.
        const auto it = aliases_.find(sql::to_lower(g.text));
        if (it == aliases_.end() || it->second->value->kind == expr_kind::star) return g;
        return *it->second->value;
    }

    void collect_requirements() {
        const sql::window_clause* w = s_.window ? &*s_.window : nullptr;
        // Aggregates are per group under GROUP BY, and per session under a
        // keyed SESSION window: only otherwise are they global.
        const bool grouped = !s_.group_by.empty();
        const bool per_key = grouped || (w && !w->session_keys.empty());
        const char* window_name = !w                                      ? ""
                                  : w->kind == sql::window_kind::tumbling ? "TUMBLING"
                                  : w->kind == sql::window_kind::sliding  ? "SLIDING"
                                                                          : "SESSION";

        if (grouped) {
            for (const auto& item : s_.items)
                if (!item.alias.empty()) aliases_.emplace(sql::to_lower(item.alias), &item);
            requirement r;
            std::vector<std::string> texts;
            std::unordered_set<const expr*> seen; // GROUP BY s, s, 1, 1: each target once
            for (const auto& g : s_.group_by) {
                const expr& target = group_target(*g);
                std::string text = st_.text_of(*g);
                if (texts.size() < 9) texts.push_back(shorten(text));
                if (!seen.insert(&target).second) continue;
                if (&target == g.get()) {
                    add_term(r, target, std::move(text));
                } else {
                    std::string target_text = st_.text_of(target);
                    if (g->kind == expr_kind::column)
                        notes_.push_back(g->text + " in GROUP BY is the select alias of " +
                                         shorten(target_text) + ".");
                    add_term(r, target, std::move(target_text));
                }
            }
            if (w)
                for (const auto& k : w->session_keys) add_term(r, *k, st_.text_of(*k));
            r.label = "GROUP BY " + join_texts(texts);
            r.why = r.label + " needs every record of a group on one partition";
            reqs_.push_back(std::move(r));
        }
        if (w && !w->session_keys.empty()) {
            std::vector<std::string> texts;
            for (const auto& k : w->session_keys) texts.push_back(shorten(st_.text_of(*k)));
            auto& r = add("SESSION window keyed by " + join_texts(texts), "");
            r.why = r.label + " needs every record of a key on one partition to find its sessions";
            for (const auto& k : w->session_keys) add_term(r, *k, st_.text_of(*k));
        } else if (w && !grouped) {
            add(std::string("WINDOW ") + window_name + " without GROUP BY",
                std::string("WINDOW ") + window_name +
                    " without GROUP BY is a global window over all records",
                true);
        }

        if (!per_key) {
            const expr* agg = nullptr;
            visit_output([&](const expr& e) {
                if (!agg && is_stateful_function(e)) agg = &e;
            });
            if (agg) {
                const std::string t = shorten(st_.text_of(*agg));
                add(t + " without GROUP BY", t + " without GROUP BY is a global aggregate over all records",
                    true);
            } else if (s_.having) {
                add("HAVING without GROUP BY", "HAVING without GROUP BY filters one global group", true);
            }
        }

        std::vector<const expr*> windowed;
        visit_output([&](const expr& e) {
            if (e.kind == expr_kind::call && e.over) windowed.push_back(&e);
        });
        for (const expr* f : windowed) {
            const std::string t = shorten(st_.text_of(*f));
            if (f->over->partition_by.empty()) {
                add(t, t + " has no PARTITION BY: its window spans the whole stream, in order", true);
                continue;
            }
            std::vector<std::string> texts;
            for (const auto& p : f->over->partition_by) texts.push_back(shorten(st_.text_of(*p)));
            auto& r = add("PARTITION BY " + join_texts(texts), "");
            r.why = "OVER (PARTITION BY " + join_texts(texts) + ") in " + t +
                    " needs each window partition's records on one partition, in order";
            for (const auto& p : f->over->partition_by) add_term(r, *p, st_.text_of(*p));
        }

        if (s_.distinct) {
            auto& r = add("SELECT DISTINCT", "");
            std::vector<std::string> texts;
            for (const auto& item : s_.items) {
                if (item.value->kind == expr_kind::star) {
                    r.universal = true;
                    texts.push_back(item.value->qualifier.empty() ? "*" : item.value->qualifier + ".*");
                    continue;
                }
                texts.push_back(shorten(st_.text_of(*item.value)));
                add_term(r, *item.value, st_.text_of(*item.value));
            }
            r.label = "SELECT DISTINCT " + join_texts(texts);
            r.why = r.label + " needs duplicate rows on one partition";
        }

        {
            std::vector<const sql::select_item*> keyed;
            for (const auto& item : s_.items)
                if (item.primary_key) keyed.push_back(&item);
            if (!keyed.empty()) {
                auto& r = add("PRIMARY KEY", "");
                std::vector<std::string> texts;
                for (const auto* item : keyed) {
                    texts.push_back(shorten(st_.text_of(*item->value)));
                    add_term(r, *item->value, st_.text_of(*item->value));
                }
                r.label = "PRIMARY KEY " + join_texts(texts);
                r.why = r.label + " needs the records of one output key on one partition, in order";
            }
        }

        if (!s_.order_by.empty())
            add("top-level ORDER BY", "ORDER BY at the top level orders the whole output", true);
        if (s_.limit)
            add("LIMIT " + std::to_string(*s_.limit),
                "LIMIT " + std::to_string(*s_.limit) + " counts the whole output", true);
    }

    /// t keeps R together: t is one of R's keys, or a function of R's
    /// plain-column keys only (records equal on those are equal on t).
    static bool satisfies(const key_term& t, const std::string& sig, const requirement& r) {
        if (r.universal) return true;
        if (r.sigs.count(sig)) return true;
        if (t.columns.empty()) return false;
        for (const auto& c : t.columns)
            if (c.source < 0 || !r.plain_cols.count(column_sig(c.source, c.field))) return false;
        return true;
    }

    // ---- decisions --------------------------------------------------------
    /// `requirement` and `why` are taken by value: callers pass parts of `a`.
    static analysis everything(analysis a, std::string requirement, const std::string& why) {
        a.required = required_distribution::everything;
        a.requirement = std::move(requirement);
        a.reason += why + ", so every record must reach one partition.";
        return a;
    }

    analysis start() {
        analysis a;
        a.join = roles_.size() > 1;
        for (const auto& n : notes_) a.reason += n + " ";
        return a;
    }

    /// An explanation for requirements that left no key; `dropped` says
    /// why each candidate key was left out.
    static std::string no_key_reason(const std::vector<const requirement*>& keyed,
                                     const std::vector<std::string>& dropped) {
        const std::vector<std::string>& why = dropped;
        std::string out;
        if (keyed.size() == 1) {
            out = keyed[0]->why + ", but no key of it is one the router can compute";
        } else {
            std::vector<std::string> labels;
            for (const auto* r : keyed) labels.push_back(r->label);
            out = "No routing key keeps all of " + join_texts(labels) + " together";
        }
        if (!why.empty()) out += " (" + join_texts(why, 4) + ")";
        return out;
    }

    analysis combine_single() {
        analysis a = start();
        for (const auto& r : reqs_)
            if (r.everything) return everything(std::move(a), r.label, r.why);
        if (reqs_.empty()) {
            a.reason +=
                "The query is stateless (projection and filtering only): no two records need to meet.";
            return a;
        }
        std::vector<const requirement*> keyed;
        for (const auto& r : reqs_) keyed.push_back(&r);
        a.requirement = reqs_[0].label;
        for (std::size_t i = 1; i < reqs_.size(); ++i) a.requirement += " and " + reqs_[i].label;

        // Candidates: every computable key of any requirement, in order;
        // keep those that keep every requirement together.
        std::unordered_set<std::string> seen;
        std::vector<std::string> dropped;
        for (const auto& r : reqs_) {
            for (std::size_t i = 0; i < r.terms.size(); ++i) {
                const key_term& t = r.terms[i];
                if (!t.key) {
                    if (t.bare_system != sql::system_column::partition)
                        dropped.push_back(r.texts[i] + " is left out: " + t.why_not);
                    continue;
                }
                if (t.columns.empty()) {
                    dropped.push_back(r.texts[i] + " is left out: it is a constant");
                    continue;
                }
                const std::string sig = term_sig(t);
                if (!seen.insert(sig).second) continue;
                const requirement* broken = nullptr;
                for (const auto& other : reqs_)
                    if (!satisfies(t, sig, other)) {
                        broken = &other;
                        break;
                    }
                if (broken) {
                    dropped.push_back(r.texts[i] + " is left out: routing by it would split " +
                                      broken->label);
                    continue;
                }
                a.keys.push_back(*t.key);
            }
        }
        std::string why;
        for (std::size_t i = 0; i < reqs_.size(); ++i) why += (i ? "; " : "") + reqs_[i].why;
        if (a.keys.empty()) {
            const bool by_partition =
                std::all_of(reqs_.begin(), reqs_.end(), [](const requirement& r) { return r.has_partition; });
            if (by_partition) {
                a.required = required_distribution::source_partition;
                a.reason += why +
                            ". _partition is the record's source partition: keeping each source partition "
                            "on one partition keeps every group together.";
                return a;
            }
            std::string label = a.requirement;
            return everything(std::move(a), std::move(label), no_key_reason(keyed, dropped));
        }
        a.required = required_distribution::keys;
        a.reason += why + ".";
        for (const auto& d : dropped) a.reason += " " + d + ".";
        if (!dropped.empty())
            a.reason += " Routing by a subset of the keys still keeps every group together.";
        std::vector<std::string> names;
        for (const auto& k : a.keys) names.push_back(k.text);
        a.reason += " Routing keys: " + join_texts(names, 16) + ".";
        for (const auto& k : a.keys)
            for (const auto& i : k.program)
                if (i.op == key_op::upper || i.op == key_op::lower) {
                    a.warnings.push_back(shorten(k.text) +
                                         ": the key evaluator changes the case of ASCII letters "
                                         "only; values differing only in the case of other letters "
                                         "would be routed apart");
                    break;
                }
        return a;
    }

    // ---- joins ------------------------------------------------------------
    struct member {
        int role;
        key_term term;
        std::string sig;
        std::string text;
    };

    analysis combine_join() {
        analysis a = start();
        // Equalities between one input's key and another's, from every ON.
        std::vector<member> members;
        std::unordered_map<std::string, std::size_t> by_sig;
        std::vector<std::size_t> parent;
        auto find = [&](std::size_t x) {
            while (parent[x] != x) x = parent[x] = parent[parent[x]];
            return x;
        };
        auto intern = [&](key_term t, const expr& e) {
            const std::string sig = term_sig(t);
            auto [it, inserted] = by_sig.emplace(sig, members.size());
            if (inserted) {
                members.push_back({t.source, std::move(t), sig, shorten(st_.text_of(e))});
                parent.push_back(parent.size());
            }
            return it->second;
        };
        std::vector<std::string> on_texts;
        for (const auto& j : s_.joins) {
            on_texts.push_back(shorten(st_.text_of(*j.on)));
            std::vector<const expr*> stack{j.on.get()};
            while (!stack.empty()) {
                const expr* e = stack.back();
                stack.pop_back();
                if (e->kind == expr_kind::binary && e->bop == sql::binary_op::and_) {
                    stack.push_back(e->args[1].get());
                    stack.push_back(e->args[0].get());
                    continue;
                }
                if (e->kind != expr_kind::binary || e->bop != sql::binary_op::eq) continue;
                key_term l = translate(*e->args[0]);
                key_term r = translate(*e->args[1]);
                if (!l.key || !r.key || l.source < 0 || r.source < 0 || l.source == r.source) continue;
                const std::size_t x = intern(std::move(l), *e->args[0]);
                const std::size_t y = intern(std::move(r), *e->args[1]);
                parent[find(x)] = find(y);
            }
        }
        const std::string join_label = "JOIN ON " + join_texts(on_texts, 4);
        const std::string join_why = join_label + " needs matching records of every input on one partition";
        for (const auto& r : reqs_)
            if (r.everything) return everything(std::move(a), r.label, r.why);

        // Classes of equal values with a key from every input.
        std::vector<std::vector<std::size_t>> classes; // member indices per class, in order
        std::unordered_map<std::size_t, std::size_t> class_of_root;
        for (std::size_t m = 0; m < members.size(); ++m) {
            auto [it, inserted] = class_of_root.emplace(find(m), classes.size());
            if (inserted) classes.emplace_back();
            classes[it->second].push_back(m);
        }
        std::vector<std::vector<std::size_t>> usable; // per class: chosen member per role
        std::vector<std::string> refused;
        for (const auto& c : classes) {
            std::vector<std::size_t> pick(roles_.size(), members.size());
            for (std::size_t m : c)
                if (pick[static_cast<std::size_t>(members[m].role)] == members.size())
                    pick[static_cast<std::size_t>(members[m].role)] = m;
            bool all =
                std::all_of(pick.begin(), pick.end(), [&](std::size_t m) { return m < members.size(); });
            if (!all) continue;
            // One stream read twice (a self-join) is routed once: both of
            // its roles must use the same key.
            bool same = true;
            for (std::size_t r = 0; r < roles_.size() && same; ++r)
                for (std::size_t q = 0; q < r && same; ++q)
                    if (sql::iequals(roles_[r].name, roles_[q].name) &&
                        program_signature(*members[pick[r]].term.key) !=
                            program_signature(*members[pick[q]].term.key))
                        same = false;
            if (!same) {
                refused.push_back(members[pick[0]].text + ": the same stream would need two different keys");
                continue;
            }
            // Other requirements (GROUP BY, ...): some member of a
            // never-null-extended input must keep each of them together.
            const requirement* broken = nullptr;
            for (const auto& r : reqs_) {
                bool ok = false;
                for (std::size_t m : c) {
                    const member& mm = members[m];
                    if (roles_[static_cast<std::size_t>(mm.role)].nullable) continue;
                    if (satisfies(mm.term, mm.sig, r)) {
                        ok = true;
                        break;
                    }
                }
                if (!ok) {
                    broken = &r;
                    break;
                }
            }
            if (broken) {
                refused.push_back(members[pick[0]].text + " would split " + broken->label);
                continue;
            }
            usable.push_back(std::move(pick));
        }

        a.requirement = join_label;
        for (const auto& r : reqs_) a.requirement += " and " + r.label;
        std::string why = join_why;
        for (const auto& r : reqs_) why += "; " + r.why;
        if (usable.empty()) {
            std::string detail;
            if (members.empty())
                detail =
                    " (the join condition has no equality between a key of one input and a key of another)";
            else if (!refused.empty())
                detail = " (" + join_texts(refused, 4) + ")";
            std::string label = a.requirement;
            return everything(std::move(a), std::move(label),
                              why + ", and no key keeps all of that together" + detail);
        }
        a.required = required_distribution::keys;
        for (std::size_t r = 0; r < roles_.size(); ++r) {
            source_keys sk{roles_[r].name, roles_[r].alias, {}};
            for (const auto& pick : usable) sk.keys.push_back(*members[pick[r]].term.key);
            a.per_source.push_back(std::move(sk));
        }
        a.keys = a.per_source[0].keys;
        a.reason += why +
                    ", so every input is hashed by its side of the join condition, with the same function "
                    "and N:";
        for (std::size_t r = 0; r < a.per_source.size(); ++r) {
            std::vector<std::string> names;
            for (const auto& k : a.per_source[r].keys) names.push_back(k.text);
            a.reason += (r ? "; " : " ") + a.per_source[r].source + " by " + join_texts(names, 16);
        }
        a.reason += ".";
        for (const auto& x : refused) a.reason += " Not used: " + x + ".";
        return a;
    }

    const sql::statement& st_;
    const sql::select_stmt& s_;
    std::vector<role> roles_;
    std::unordered_map<std::string, std::set<int>> qualified_names_; ///< lower-case name → inputs
    std::unordered_map<std::string, int> qualifiers_; ///< lower-case alias or name → input, or ambiguous
    std::unordered_map<std::string, const sql::select_item*>
        aliases_; ///< lower-case select alias → first item
    std::vector<requirement> reqs_;
    std::vector<std::string> notes_;
};

} // namespace

analysis analyse(const sql::statement& st) { return analyser(st).run(); }

} // namespace shardgate::control
