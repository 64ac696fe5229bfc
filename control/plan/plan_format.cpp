#include "control/plan/plan_format.hpp"

#include "control/plan/key_translate.hpp"

namespace shardgate::control {
namespace {

/// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b(k) & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
            ++i;
        } else if (c == '\n') {
            out += "\\n";
            ++i;
        } else if (c == '\t') {
            out += "\\t";
            ++i;
        } else if (c == '\r') {
            out += "\\r";
            ++i;
        } else if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
            ++i;
        } else if (c < 0x80) {
            out += static_cast<char>(c);
            ++i;
        } else if (const std::size_t n = utf8_length(s, i); n != 0) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            out += "\\ufffd";
            ++i;
        }
    }
    out += '"';
}

void append_keys(std::string& out, const std::vector<key_expr>& keys) {
    out += '[';
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, keys[i].text);
    }
    out += ']';
}

void append_program(std::string& out, const key_expr& k) {
    out += '[';
    for (std::size_t i = 0; i < k.program.size(); ++i) {
        const key_instr& in = k.program[i];
        if (i) out += ',';
        out += "{\"op\":";
        append_json_string(out, to_string(in.op));
        if (in.op == key_op::push_int || in.op == key_op::substring)
            out += ",\"imm\":" + std::to_string(in.imm);
        if (in.op == key_op::field || in.op == key_op::push_string) {
            out += ",\"text\":";
            append_json_string(out, in.text);
        }
        out += '}';
    }
    out += ']';
}

std::string key_text_list(const std::vector<key_expr>& keys) {
    std::string out;
    for (std::size_t i = 0; i < keys.size(); ++i) out += (i ? ", " : "") + keys[i].text;
    return out;
}

} // namespace

std::string json_string(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

std::string format_plan_json(const plan& p) {
    const routing_params& r = p.routing;
    std::string out = "{\"query_kind\":";
    append_json_string(out, to_string(p.kind));
    out += ",\"strategy\":";
    append_json_string(out, to_string(r.strategy));
    out += ",\"origin\":";
    append_json_string(out, to_string(p.origin));
    out += ",\"routing_keys\":";
    append_keys(out, r.keys);
    out += ",\"key_programs\":[";
    for (std::size_t i = 0; i < r.keys.size(); ++i) {
        if (i) out += ',';
        append_program(out, r.keys[i]);
    }
    out += ']';
    if (!p.per_source.empty()) {
        out += ",\"source_keys\":{";
        // Keyed by stream name; a stream read twice (self-join) has one
        // entry, since the planner only accepts one key for it.
        std::vector<std::string> seen;
        for (const auto& s : p.per_source) {
            bool dup = false;
            for (const auto& n : seen) dup = dup || n == s.source;
            if (dup) continue;
            if (!seen.empty()) out += ',';
            seen.push_back(s.source);
            append_json_string(out, s.source);
            out += ':';
            append_keys(out, s.keys);
        }
        out += "},\"sources\":[";
        for (std::size_t i = 0; i < p.per_source.size(); ++i) {
            const auto& s = p.per_source[i];
            if (i) out += ',';
            out += "{\"source\":";
            append_json_string(out, s.source);
            out += ",\"alias\":";
            append_json_string(out, s.alias);
            out += ",\"routing_keys\":";
            append_keys(out, s.keys);
            out += '}';
        }
        out += ']';
    }
    out += ",\"partitions\":" + std::to_string(r.partitions);
    out += ",\"hash\":";
    append_json_string(out, to_string(r.hash));
    out += ",\"seed\":" + std::to_string(r.seed);
    out += ",\"key_groups\":" + std::to_string(r.key_groups);
    out += ",\"fan_in_target\":" + std::to_string(r.fan_in_target.value());
    if (r.source.partitions > 0) {
        out += ",\"source_partitioning\":{\"key_columns\":[";
        for (std::size_t i = 0; i < r.source.key_columns.size(); ++i) {
            if (i) out += ',';
            append_json_string(out, r.source.key_columns[i]);
        }
        out += "],\"partitioner\":";
        append_json_string(out, to_string(r.source.partitioner));
        out += ",\"partitions\":" + std::to_string(r.source.partitions) + "}";
    }
    out += ",\"reason\":";
    append_json_string(out, p.reason);
    out += ",\"warnings\":[";
    for (std::size_t i = 0; i < p.warnings.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, p.warnings[i]);
    }
    out += "]}\n";
    return out;
}

std::string format_plan_text(const plan& p) {
    const routing_params& r = p.routing;
    std::string out;
    auto line = [&](std::string_view label, const std::string& value) {
        out += label;
        out.append(label.size() < 12 ? 12 - label.size() : 1, ' ');
        out += value;
        out += '\n';
    };
    line("query:", std::string(to_string(p.kind)));
    line("strategy:",
         std::string(to_string(r.strategy)) + " (" +
             (p.origin == strategy_origin::automatic ? std::string("chosen automatically")
                                                     : "from " + std::string(to_string(p.origin))) +
             ")");
    if (!r.keys.empty()) line("keys:", key_text_list(r.keys));
    for (const auto& s : p.per_source)
        line("source:",
             s.source + (s.alias.empty() ? "" : " AS " + s.alias) + " by " + key_text_list(s.keys));
    std::string parts = std::to_string(r.partitions);
    switch (r.strategy) {
    case strategy_kind::always_hash:
    case strategy_kind::smart_repartition:
        parts += " (" + std::string(to_string(r.hash)) + ", seed " + std::to_string(r.seed);
        if (r.hash == hash_function::xxh3) parts += ", " + std::to_string(r.key_groups) + " key groups";
        parts += ")";
        break;
    case strategy_kind::fan_in:
        parts += " (all records to partition " + std::to_string(r.fan_in_target.value()) + ")";
        break;
    default:
        break;
    }
    line("partitions:", parts);
    line("reason:", p.reason);
    for (const auto& w : p.warnings) line("warning:", w);
    return out;
}

} // namespace shardgate::control
