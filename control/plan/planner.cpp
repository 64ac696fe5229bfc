#include "control/plan/planner.hpp"

#include <stdexcept>
#include <string>

#include "control/plan/key_translate.hpp"
#include "control/sql/parser.hpp"
#include "shardgate/smart_alignment.hpp"

namespace shardgate::control {
namespace {

std::string where_text(sql::position p) {
    return "line " + std::to_string(p.line) + ":" + std::to_string(p.column);
}

/// One explicit setting (strategy or partition count) and where it came from.
struct setting {
    std::string value;
    sql::position pos;
    bool present = false;
};

setting find_annotation(const sql::statement& st, std::string_view key) {
    setting s;
    for (const auto& a : st.annotations) {
        if (!sql::iequals(a.key, key)) continue;
        if (s.present)
            throw plan_error(a.pos, "annotation @" + std::string(key) + " is given twice (first at " +
                                        where_text(s.pos) + ")");
        s = {a.value, a.value_pos, true};
    }
    return s;
}

setting find_property(const sql::statement& st, std::string_view key) {
    for (const auto& p : st.with)
        if (sql::iequals(p.key, key)) return {p.value, p.value_pos, true};
    return {};
}

strategy_kind strategy_of(const setting& s, const std::string& what) {
    try {
        return parse_strategy(s.value);
    } catch (const std::invalid_argument& e) {
        throw plan_error(s.pos, what + ": " + e.what());
    }
}

std::uint32_t partitions_of(const setting& s, const std::string& what) {
    const std::string& v = s.value;
    std::uint64_t n = 0;
    bool ok = !v.empty() && v.size() <= 10;
    for (char c : v) {
        if (c < '0' || c > '9') ok = false;
        if (ok) n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (!ok || n < 1 || n > max_partitions)
        throw plan_error(s.pos, what + ": expected a partition count in [1, " +
                                    std::to_string(max_partitions) + "], found '" +
                                    sql::quote_for_message(v) + "'");
    return static_cast<std::uint32_t>(n);
}

bool hashing(strategy_kind k) {
    return k == strategy_kind::always_hash || k == strategy_kind::smart_repartition;
}

std::string key_list(const std::vector<key_expr>& keys) {
    std::string out;
    for (std::size_t i = 0; i < keys.size(); ++i) out += (i ? ", " : "") + keys[i].text;
    return out;
}

/// The source declares it was partitioned by a subset of `keys` (plain
/// columns): then every group lives in one source partition.
bool source_groups_by(const source_partitioning& s, const std::vector<key_expr>& keys) {
    if (s.partitions == 0 || s.key_columns.empty()) return false;
    for (const auto& c : s.key_columns) {
        bool found = false;
        for (const auto& k : keys) found = found || (k.is_plain_column() && sql::iequals(k.text, c));
        if (!found) return false;
    }
    return true;
}

} // namespace

plan plan_statement(const sql::statement& st, const planner_inputs& in) {
    analysis a = analyse(st);
    plan p;
    p.kind = st.kind == sql::statement_kind::create_stream  ? query_kind::create_stream
             : st.kind == sql::statement_kind::create_table ? query_kind::create_table
                                                            : query_kind::select;
    p.warnings = std::move(a.warnings);

    // ---- partition count ---------------------------------------------------
    std::uint32_t n = in.partitions;
    std::string n_origin = "the configuration";
    const setting ann_n = find_annotation(st, "num_partitions");
    const setting with_n = find_property(st, "num_partitions");
    if (in.partitions_override) {
        n = *in.partitions_override;
        n_origin = "the command line";
    } else if (ann_n.present) {
        n = partitions_of(ann_n, "annotation @num_partitions");
        n_origin = "annotation @num_partitions";
    } else if (with_n.present) {
        n = partitions_of(with_n, "WITH 'num_partitions'");
        n_origin = "WITH 'num_partitions'";
    }
    // Validate the query's own values even when a higher level overrides them.
    if (ann_n.present) (void)partitions_of(ann_n, "annotation @num_partitions");
    if (with_n.present) (void)partitions_of(with_n, "WITH 'num_partitions'");
    if (n < 1 || n > max_partitions)
        throw plan_error("partition count " + std::to_string(n) + " from " + n_origin +
                         " is out of range [1, " + std::to_string(max_partitions) + "]");
    if (in.key_groups == 0 || (in.key_groups & (in.key_groups - 1)) != 0 || in.key_groups > (1u << 24))
        throw plan_error("key_groups must be a power of two in [1, 16777216], got " +
                         std::to_string(in.key_groups));
    if (n > in.key_groups)
        throw plan_error("N=" + std::to_string(n) + " (from " + n_origin + ") exceeds the " +
                         std::to_string(in.key_groups) + " key groups of the partition table");

    routing_params& r = p.routing;
    r.partitions = n;
    r.hash = in.hash;
    r.seed = in.seed;
    r.key_groups = in.key_groups;
    r.fan_in_target = in.fan_in_target;
    r.source = in.source;

    // ---- explicit strategy -------------------------------------------------
    const setting ann_s = find_annotation(st, "partitioning_strategy");
    const setting with_s = find_property(st, "partitioning_strategy");
    std::optional<strategy_kind> ann_k, with_k;
    if (ann_s.present) ann_k = strategy_of(ann_s, "annotation @partitioning_strategy");
    if (with_s.present) with_k = strategy_of(with_s, "WITH 'partitioning_strategy'");

    std::optional<strategy_kind> chosen;
    std::string chosen_by;
    sql::position chosen_pos{};
    bool located = false;
    std::vector<std::string> overridden;
    auto consider = [&](std::optional<strategy_kind> k, strategy_origin o, std::string by, const setting* s) {
        if (!k) return;
        if (chosen) {
            overridden.push_back(by + " (" + std::string(to_string(*k)) + ")");
            return;
        }
        chosen = k;
        p.origin = o;
        chosen_by = std::move(by);
        if (s) {
            chosen_pos = s->pos;
            located = true;
        }
    };
    consider(ann_k, strategy_origin::annotation,
             "annotation @partitioning_strategy at " + where_text(ann_s.pos), &ann_s);
    consider(with_k, strategy_origin::with_property,
             "WITH 'partitioning_strategy' at " + where_text(with_s.pos), &with_s);
    // The config's "auto" is the same as no setting: nothing to override.
    std::optional<strategy_kind> config_k = in.config_strategy;
    if (config_k == strategy_kind::automatic) config_k.reset();
    consider(config_k, strategy_origin::config, "the configuration's partitioning_strategy", nullptr);
    if (chosen && *chosen == strategy_kind::automatic) p.origin = strategy_origin::automatic;

    auto refuse = [&](const std::string& message) {
        if (located) throw plan_error(chosen_pos, message);
        throw plan_error(message);
    };

    const std::string need = a.requirement;
    std::string decision;
    strategy_kind k = strategy_kind::round_robin;
    if (!chosen || *chosen == strategy_kind::automatic) {
        const std::string prefix = chosen ? "Automatic selection (" + chosen_by + " asks for auto): " : "";
        switch (a.required) {
        case required_distribution::none:
            if (in.per_source_order) {
                k = strategy_kind::sticky_partition;
                decision = prefix +
                           "sticky_partition, because the configuration asks for per-source order: each "
                           "source partition stays on one partition.";
            } else {
                k = strategy_kind::round_robin;
                decision = prefix + "round_robin spreads records evenly.";
            }
            break;
        case required_distribution::source_partition:
            k = strategy_kind::sticky_partition;
            decision = prefix + "sticky_partition keeps each source partition on one partition.";
            break;
        case required_distribution::everything:
            k = strategy_kind::fan_in;
            decision = prefix + "fan_in sends every record to partition " +
                       std::to_string(in.fan_in_target.value()) + ".";
            break;
        case required_distribution::keys: {
            k = strategy_kind::always_hash;
            decision = prefix + "always_hash routes by the hash of " + key_list(a.keys) + ".";
            if (!a.join && in.source.partitions > 0) {
                routing_params probe = r;
                probe.keys = a.keys;
                const std::string problem = smart_alignment_problem(probe);
                if (problem.empty()) {
                    k = strategy_kind::smart_repartition;
                    decision =
                        prefix + "smart_repartition: the source declares it was partitioned by " +
                        key_list(a.keys) + " with " + std::string(to_string(in.source.partitioner)) +
                        " into P=" + std::to_string(in.source.partitions) +
                        " partitions and N=" + std::to_string(n) +
                        " divides P, so records are routed by source partition without hashing (verified on "
                        "a sample, falling back to always_hash on a mismatch).";
                } else {
                    decision += " smart_repartition is not possible: " + problem + ".";
                }
            } else if (a.join && in.source.partitions > 0) {
                decision +=
                    " smart_repartition is not used for joins: the declared partitioning describes one "
                    "source.";
            }
            break;
        }
        }
    } else {
        k = *chosen;
        const std::string name(to_string(k));
        const std::string intro = "Strategy " + name + " from " + chosen_by;
        switch (k) {
        case strategy_kind::fan_in:
            decision =
                intro + ": every record goes to partition " + std::to_string(in.fan_in_target.value()) +
                (a.required == required_distribution::none ? "."
                                                           : ", which keeps together what the query needs.");
            break;
        case strategy_kind::round_robin:
            if (a.required != required_distribution::none)
                refuse("partitioning strategy round_robin (" + chosen_by + ") is refused: " + need +
                       " needs records to meet on one partition, and round_robin spreads them; use auto, " +
                       (a.required == required_distribution::keys ? "always_hash, smart_repartition or fan_in"
                                                                  : "fan_in") +
                       " instead");
            decision = intro + ": records are spread evenly (the query is stateless).";
            break;
        case strategy_kind::sticky_partition:
            decision = intro + ": each source partition stays on one partition.";
            if (a.required == required_distribution::keys) {
                if (n == 1 || source_groups_by(in.source, a.keys))
                    decision += " The source declares it is partitioned by a subset of " + key_list(a.keys) +
                                ", so this keeps what the query needs together.";
                else
                    p.warnings.push_back("sticky_partition keeps " + need +
                                         " together only if the source is partitioned by (a subset of) " +
                                         key_list(a.keys) + "; no such source partitioning is declared");
            } else if (a.required == required_distribution::everything) {
                if (n != 1 && in.source.partitions != 1)
                    p.warnings.push_back("sticky_partition keeps " + need +
                                         " correct only if the source has a single partition (or N is 1); "
                                         "otherwise records that must meet are spread over partitions");
            }
            break;
        case strategy_kind::always_hash:
        case strategy_kind::smart_repartition:
            if (a.required == required_distribution::none)
                refuse(
                    "partitioning strategy " + name + " (" + chosen_by +
                    ") needs routing keys, but the query is stateless (no GROUP BY, DISTINCT, PARTITION BY, "
                    "JOIN or PRIMARY KEY); use auto, round_robin or sticky_partition");
            if (a.required == required_distribution::everything)
                refuse("partitioning strategy " + name + " (" + chosen_by + ") is refused: " + need +
                       " needs every record on one partition, and hashing spreads them; use auto or fan_in");
            if (a.required == required_distribution::source_partition)
                refuse("partitioning strategy " + name + " (" + chosen_by + ") needs routing keys, but " +
                       need +
                       " groups by _partition, which is not a record field; use auto or sticky_partition");
            decision = intro + ": records are routed by the hash of " + key_list(a.keys) + ".";
            if (k == strategy_kind::smart_repartition) {
                routing_params probe = r;
                probe.keys = a.keys;
                const std::string problem = smart_alignment_problem(probe);
                if (!problem.empty())
                    p.warnings.push_back("smart_repartition has no fast path here (" + problem +
                                         "): every record is hashed, as with always_hash");
            }
            break;
        case strategy_kind::automatic:
            break; // handled above
        }
        if (!overridden.empty()) {
            decision += " It overrides ";
            for (std::size_t i = 0; i < overridden.size(); ++i)
                decision += (i ? " and " : "") + overridden[i];
            decision += ".";
        }
    }

    r.strategy = k;
    if (hashing(k)) {
        r.keys = a.keys;
        if (a.join) p.per_source = std::move(a.per_source);
    }
    if (k == strategy_kind::fan_in && in.fan_in_target.value() >= n)
        throw plan_error("fan_in target partition " + std::to_string(in.fan_in_target.value()) +
                         " is out of range for N=" + std::to_string(n) + " partitions");
    p.reason = a.reason + " " + decision;
    if (n_origin != "the configuration")
        p.reason += " N=" + std::to_string(n) + " comes from " + n_origin + ".";
    return p;
}

plan plan_query(std::string_view sql, const planner_inputs& in) {
    return plan_statement(sql::parse(sql), in);
}

} // namespace shardgate::control
