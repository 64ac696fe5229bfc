// libFuzzer target: arbitrary bytes through the SQL parser, the planner
// (three configurations) and both plan formats. Expected failures are
// sql::parse_error and control::plan_error; any other exception, crash,
// leak, sanitizer report or broken plan invariant is a finding.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "control/plan/key_translate.hpp"
#include "control/plan/plan_format.hpp"
#include "control/plan/planner.hpp"
#include "control/sql/parser.hpp"

namespace {

using namespace shardgate;

void require(bool ok) {
    if (!ok) __builtin_trap();
}

/// Strict JSON syntax check of explain's output (no allocation beyond the
/// call stack; depth bounded).
class json_check {
public:
    explicit json_check(std::string_view t) : t_(t) {}
    bool document() {
        if (!value(0)) return false;
        while (i_ < t_.size() && (t_[i_] == '\n' || t_[i_] == ' ')) ++i_;
        return i_ == t_.size();
    }

private:
    bool eat(char c) {
        if (i_ < t_.size() && t_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    bool string() {
        if (!eat('"')) return false;
        while (i_ < t_.size()) {
            const auto c = static_cast<unsigned char>(t_[i_++]);
            if (c == '"') return true;
            if (c < 0x20) return false;
            if (c == '\\') {
                if (i_ >= t_.size()) return false;
                const char e = t_[i_++];
                if (e == 'u') {
                    if (i_ + 4 > t_.size()) return false;
                    for (int k = 0; k < 4; ++k)
                        if (!std::isxdigit(static_cast<unsigned char>(t_[i_++]))) return false;
                } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
                    return false;
                }
            }
        }
        return false;
    }
    bool value(int depth) {
        if (depth > 16 || i_ >= t_.size()) return false;
        const char c = t_[i_];
        if (c == '"') return string();
        if (c == '{') {
            ++i_;
            if (eat('}')) return true;
            do {
                if (!string() || !eat(':') || !value(depth + 1)) return false;
            } while (eat(','));
            return eat('}');
        }
        if (c == '[') {
            ++i_;
            if (eat(']')) return true;
            do {
                if (!value(depth + 1)) return false;
            } while (eat(','));
            return eat(']');
        }
        if (c >= '0' && c <= '9') {
            while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
            return true;
        }
        return false;
    }
    std::string_view t_;
    std::size_t i_ = 0;
};

/// Checks that UTF-8 is valid (JSON text must be).
bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
        i += n;
    }
    return true;
}

void check_plan(const plan& p) {
    const routing_params& r = p.routing;
    require(r.strategy != strategy_kind::automatic);
    require(r.partitions >= 1 && r.partitions <= max_partitions && r.partitions <= r.key_groups);
    require(!p.reason.empty());
    const bool hashing =
        r.strategy == strategy_kind::always_hash || r.strategy == strategy_kind::smart_repartition;
    if (hashing) {
        require(!r.keys.empty());
        for (const auto& k : r.keys) require(control::well_formed(k) && !k.text.empty());
        if (!p.per_source.empty()) {
            require(p.per_source.size() >= 2);
            require(p.per_source[0].keys == r.keys);
            for (const auto& s : p.per_source) {
                require(s.keys.size() == r.keys.size());
                for (const auto& k : s.keys) require(control::well_formed(k));
            }
        }
    } else {
        require(r.keys.empty() && p.per_source.empty());
    }
    if (r.strategy == strategy_kind::fan_in) require(r.fan_in_target.value() < r.partitions);
    const std::string json = control::format_plan_json(p);
    require(json_check(json).document());
    require(valid_utf8(json));
    require(!control::format_plan_text(p).empty());
}

control::planner_inputs config(int which) {
    control::planner_inputs in;
    if (which == 1) { // a declared, aligned source; per-source order for stateless queries
        in.source.key_columns = {"symbol"};
        in.source.partitioner = hash_function::xxh3;
        in.source.partitions = 16;
        in.per_source_order = true;
    } else if (which == 2) { // Kafka's partitioner, an explicit config strategy, a command-line N
        in.hash = hash_function::kafka_murmur2;
        in.config_strategy = strategy_kind::sticky_partition;
        in.partitions_override = 3;
        in.fan_in_target = partition_id{2};
    }
    return in;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view sql(reinterpret_cast<const char*>(data), size);
    static const control::planner_inputs configs[] = {config(0), config(1), config(2)};
    sql::statement st;
    try {
        st = sql::parse(sql);
    } catch (const sql::parse_error& e) {
        require(std::string_view(e.what()).substr(0, 5) == "line " && e.line() >= 1 && e.column() >= 1);
        return 0;
    }
    for (const auto& in : configs) {
        try {
            check_plan(control::plan_statement(st, in));
        } catch (const control::plan_error& e) {
            require(*e.what() != '\0');
        } catch (const sql::parse_error&) {
            // text_of re-lexes a slice that lexed once already: never fails
            require(false);
        }
    }
    return 0;
}
