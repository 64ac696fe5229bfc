// Rules between keys, defaults that depend on other keys, sink URIs and the
// query file: everything that can only be checked once every key is in.
// Checks run in the order the sections are documented, so the first message
// is about the earliest section with a problem.
#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "control/config/config_loader.hpp"
#include "control/config/schema.hpp"

namespace shardgate::control::config_detail {
namespace {

std::string at_line(const load_context& c, std::string_view path) {
    const text_pos p = c.where(path);
    return p.line ? " (line " + std::to_string(p.line) + ")" : std::string();
}

std::string plural(std::size_t n, std::string_view what) {
    return std::to_string(n) + " " + std::string(what) + (n == 1 ? "" : "s");
}

/// A required key that is absent: reported at its table, under its own name.
[[noreturn]] void missing(const load_context& c, std::string_view table, const std::string& key,
                          const std::string& why) {
    c.fail(c.where(table), key, "missing; " + why);
}

bool is_ipv4(const std::string& s) {
    in_addr a{};
    return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_mac(std::string_view s) {
    if (s.size() != 17) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char ch = s[i];
        if (i % 3 == 2) {
            if (ch != ':') return false;
        } else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))) {
            return false;
        }
    }
    return true;
}

/// Decimal digits only, no sign, at most `max_digits`.
bool parse_decimal(std::string_view s, std::size_t max_digits, std::uint64_t& out) {
    if (s.empty() || s.size() > max_digits) return false;
    out = 0;
    for (char ch : s) {
        if (ch < '0' || ch > '9') return false;
        out = out * 10 + static_cast<std::uint64_t>(ch - '0');
    }
    return true;
}

// ------------------------------------------------------------------ router

void check_cpus(const load_context& c, std::string_view key, const std::vector<int>& cpus) {
    for (std::size_t i = 0; i < cpus.size(); ++i) {
        const std::string ek = std::string(key) + "[" + std::to_string(i) + "]";
        if (cpus[i] >= 0 && static_cast<std::uint32_t>(cpus[i]) >= c.cpu_count)
            c.fail_at(ek, "expected a CPU id below " + std::to_string(c.cpu_count) + " (the machine has " +
                              plural(c.cpu_count, "CPU") + ") or -1 (not pinned), found " +
                              std::to_string(cpus[i]));
        for (std::size_t j = 0; j < i; ++j)
            if (cpus[i] >= 0 && cpus[j] == cpus[i])
                c.fail_at(ek, "CPU " + std::to_string(cpus[i]) + " is already " + std::string(key) + "[" +
                                  std::to_string(j) + "]; expected each CPU once");
    }
}

void read_query_file(load_context& c) {
    namespace fs = std::filesystem;
    const fs::path p = fs::path(c.query_file.text).is_absolute() ? fs::path(c.query_file.text)
                                                                 : c.base_dir / c.query_file.text;
    std::string why;
    auto text = read_whole_file(p.string(), why);
    if (!text) c.fail(c.query_file.pos, "router.query_file", "cannot read " + quote(p.string()) + ": " + why);
    std::string q = std::move(*text);
    if (q.find_first_not_of(" \t\r\n") == std::string::npos)
        c.fail(c.query_file.pos, "router.query_file", quote(p.string()) + " is empty; expected a SQL query");
    c.cfg.router.query_text = std::move(q);
    c.cfg.router.query_origin = p.string();
}

void check_router(load_context& c) {
    router_config& r = c.cfg.router;
    check_cpus(c, "router.dataplane_cpus", r.dataplane_cpus);
    check_cpus(c, "router.egress_cpus", r.egress_cpus);
    if (r.key_groups < r.partitions) {
        if (c.given("router.key_groups"))
            c.fail_at("router.key_groups", "expected a power of two >= router.partitions (" +
                                               std::to_string(r.partitions) + "), found " +
                                               std::to_string(r.key_groups));
        c.fail_at("router.partitions",
                  std::to_string(r.partitions) +
                      " partitions need router.key_groups >= " + std::to_string(r.partitions) +
                      " (a power of two); the default is " + std::to_string(r.key_groups));
    }
    if (r.fan_in_target.value() >= r.partitions)
        c.fail_at("router.fan_in_target", "expected a partition below router.partitions (" +
                                              std::to_string(r.partitions) + "), found " +
                                              std::to_string(r.fan_in_target.value()));
    if (c.given("router.query_file")) {
        if (c.given("router.query"))
            c.fail_at("router.query_file", "set together with router.query" + at_line(c, "router.query") +
                                               "; expected one of them");
        read_query_file(c);
    }
}

// ------------------------------------------------------------------ format

bool integer_field(format_kind kind, field_type t) {
    if (kind == format_kind::csv) return t == field_type::int64;
    return t != field_type::str && t != field_type::int64;
}

std::string field_names(const record_format& f) {
    std::string out;
    for (const auto& x : f.fields) out += (out.empty() ? "" : ", ") + x.name;
    return out.empty() ? "none declared" : out;
}

void check_fields(load_context& c) {
    record_format& f = c.cfg.format;
    const std::string kind_name(to_string(f.kind));
    for (std::size_t i = 0; i < f.fields.size(); ++i) {
        const field_spec& x = f.fields[i];
        const std::string k = "format.fields[" + std::to_string(i) + "]";
        if (!c.given(k + ".name")) missing(c, k, k + ".name", "every field needs a name");
        for (std::size_t j = 0; j < i; ++j)
            if (f.fields[j].name == x.name)
                c.fail_at(k + ".name", "duplicate field name " + quote(x.name) + " (also format.fields[" +
                                           std::to_string(j) + "]" +
                                           at_line(c, "format.fields[" + std::to_string(j) + "]") +
                                           "); expected unique names");
        switch (f.kind) {
        case format_kind::fixed: {
            if (!c.given(k + ".type"))
                missing(c, k, k + ".type",
                        "fixed field " + quote(x.name) + " needs one of u8, u16, u32, u64, i32, i64, str");
            if (x.type == field_type::int64)
                c.fail_at(k + ".type",
                          "expected one of \"u8\", \"u16\", \"u32\", \"u64\", \"i32\", \"i64\", \"str\" "
                          "for a fixed field, found \"int\" (csv only)");
            if (!c.given(k + ".offset"))
                missing(c, k, k + ".offset", "fixed field " + quote(x.name) + " needs a byte offset");
            if (x.type == field_type::str) {
                if (!c.given(k + ".size"))
                    missing(c, k, k + ".size", "str field " + quote(x.name) + " needs a size in bytes");
            } else if (c.given(k + ".size")) {
                c.fail_at(k + ".size", "not allowed for a " + std::string(to_string(x.type)) +
                                           " field (it is " + plural(fixed_width(x.type), "byte") +
                                           "); size is for str fields");
            }
            break;
        }
        case format_kind::csv:
            for (const char* key : {".offset", ".size"})
                if (c.given(k + key))
                    c.fail_at(k + key, "not allowed for csv columns (columns are positional: their order in "
                                       "format.fields)");
            if (x.type != field_type::int64 && x.type != field_type::str)
                c.fail_at(k + ".type",
                          "expected \"int\" or \"str\" for a csv column, found " + quote(to_string(x.type)));
            break;
        case format_kind::ndjson:
            for (const char* key : {".type", ".offset", ".size"})
                if (c.given(k + key))
                    c.fail_at(k + key,
                              "not allowed for ndjson fields (members are typed by their JSON value); "
                              "expected only a name");
            break;
        }
    }
    if (f.kind != format_kind::fixed) return;
    // Layout: inside the record, no overlap (pairs in file order: the later field is the one reported).
    for (std::size_t i = 0; i < f.fields.size(); ++i) {
        field_spec& x = f.fields[i];
        if (x.type != field_type::str) x.size = fixed_width(x.type);
        const std::string k = "format.fields[" + std::to_string(i) + "]";
        const std::uint64_t end = std::uint64_t{x.offset} + x.size;
        if (end > f.record_size)
            c.fail_at(k + ".offset", "field " + quote(x.name) + " (bytes " + std::to_string(x.offset) + ".." +
                                         std::to_string(end - 1) + ") ends beyond format.record_size (" +
                                         std::to_string(f.record_size) + ")");
        for (std::size_t j = 0; j < i; ++j) {
            const field_spec& y = f.fields[j];
            if (x.offset < y.offset + y.size && y.offset < end)
                c.fail_at(k + ".offset", "field " + quote(x.name) + " (bytes " + std::to_string(x.offset) +
                                             ".." + std::to_string(end - 1) + ") overlaps field " +
                                             quote(y.name) + " (bytes " + std::to_string(y.offset) + ".." +
                                             std::to_string(y.offset + y.size - 1) + ")");
        }
    }
}

void check_named_field(load_context& c, std::string_view key, const std::string& name) {
    const record_format& f = c.cfg.format;
    if (name.empty() || f.kind == format_kind::ndjson) return;
    const auto i = f.find_field(name);
    if (!i)
        c.fail_at(key,
                  "expected the name of a declared field (" + field_names(f) + "), found " + quote(name));
    if (!integer_field(f.kind, f.fields[*i].type))
        c.fail_at(key, "field " + quote(name) + " is " + std::string(to_string(f.fields[*i].type)) +
                           "; expected an integer field (" +
                           (f.kind == format_kind::csv ? "int" : "u8, u16, u32, u64, i32 or i64") + ")");
}

void check_format(load_context& c) {
    record_format& f = c.cfg.format;
    const std::string kind = quote(to_string(f.kind));
    if (f.kind == format_kind::fixed) {
        if (!c.given("format.record_size"))
            missing(c, "format", "format.record_size", "required for format.kind = " + kind);
        if (f.max_record_bytes < f.record_size)
            c.fail_at(c.given("format.max_record_bytes") ? "format.max_record_bytes" : "format.record_size",
                      "format.max_record_bytes (" + std::to_string(f.max_record_bytes) +
                          ") is below format.record_size (" + std::to_string(f.record_size) + ")");
    } else if (c.given("format.record_size")) {
        c.fail_at("format.record_size", "not allowed for format.kind = " + kind + " (records are lines)");
    }
    check_fields(c);
    check_named_field(c, "format.source_partition_field", f.source_partition_field);
    check_named_field(c, "format.sequence_field", f.sequence_field);
    check_named_field(c, "format.event_time_field", f.event_time_field);
}

// ------------------------------------------------------------------ sources

void check_sources(load_context& c) {
    config& cfg = c.cfg;
    if (cfg.sources.empty())
        c.fail({}, "sources", "missing; expected at least one [[sources]] table (udp, tcp or dpdk)");
    const auto cores = static_cast<std::uint32_t>(cfg.router.dataplane_cpus.size());
    for (std::size_t i = 0; i < cfg.sources.size(); ++i) {
        source_config& s = cfg.sources[i];
        const std::string k = "sources[" + std::to_string(i) + "]";
        const std::string kind = quote(to_string(s.kind));
        if (!c.given(k + ".name")) s.name = k;
        for (std::size_t j = 0; j < i; ++j)
            if (cfg.sources[j].name == s.name)
                c.fail_at(c.given(k + ".name") ? k + ".name" : k,
                          "duplicate source name " + quote(s.name) + " (also sources[" + std::to_string(j) +
                              "]" + at_line(c, "sources[" + std::to_string(j) + "]") +
                              "); expected unique names");
        if (c.given(k + ".core")) {
            if (s.core >= cores)
                c.fail_at(k + ".core", "expected an index into router.dataplane_cpus (" +
                                           plural(cores, "dataplane core") + ": 0.." +
                                           std::to_string(cores - 1) + "), found " + std::to_string(s.core));
        } else {
            s.core = static_cast<std::uint32_t>(i % cores);
        }
        if (s.kind == source_kind::dpdk) {
            if (c.given(k + ".bind"))
                c.fail_at(k + ".bind",
                          "not allowed for kind = \"dpdk\" (the source is a queue of a [[dpdk.ports]] port)");
            const auto ports = cfg.dpdk.ports.size();
            if (ports == 0)
                c.fail_at(c.given(k + ".kind") ? k + ".kind" : k,
                          "a dpdk source needs a port, and [[dpdk.ports]] declares none");
            if (s.dpdk_port >= ports)
                c.fail_at(k + ".dpdk_port", "expected an index into [[dpdk.ports]] (0.." +
                                                std::to_string(ports - 1) + "), found " +
                                                std::to_string(s.dpdk_port));
            const auto queues = cfg.dpdk.ports[s.dpdk_port].rx_queues;
            if (s.dpdk_queue >= queues)
                c.fail_at(c.given(k + ".dpdk_queue") ? k + ".dpdk_queue" : k,
                          "expected a receive queue of dpdk.ports[" + std::to_string(s.dpdk_port) + "] (0.." +
                              std::to_string(queues - 1) + "), found " + std::to_string(s.dpdk_queue));
        } else {
            if (!c.given(k + ".bind")) missing(c, k, k + ".bind", "required for kind = " + kind);
            for (const char* key : {".dpdk_port", ".dpdk_queue", ".udp_port"})
                if (c.given(k + key))
                    c.fail_at(k + key, std::string("only for kind = \"dpdk\"; this source is ") + kind);
            for (std::size_t j = 0; j < i; ++j) {
                const source_config& o = cfg.sources[j];
                if (o.kind == s.kind && o.bind == s.bind && s.bind.port != 0)
                    c.fail_at(k + ".bind", std::string(to_string(s.kind)) + " " + s.bind.to_string() +
                                               " is already bound by sources[" + std::to_string(j) + "]" +
                                               at_line(c, "sources[" + std::to_string(j) + "].bind") +
                                               "; expected a different address or port");
            }
        }
        if (cfg.format.kind == format_kind::fixed && s.buffer_bytes < cfg.format.record_size)
            c.fail_at(c.given(k + ".buffer_bytes") ? k + ".buffer_bytes" : "format.record_size",
                      "sources[" + std::to_string(i) + "].buffer_bytes (" + std::to_string(s.buffer_bytes) +
                          ") cannot hold one " + std::to_string(cfg.format.record_size) +
                          "-byte record (format.record_size)");
    }
}

// ------------------------------------------------------------------ sinks

/// Expands "{p}" and "{B+p}" (blanks allowed inside the braces) for partition
/// p; returns what is wrong with the template, "" when nothing is.
std::string expand_template(std::string_view t, std::uint32_t p, std::string& out, bool& has_placeholder) {
    out.clear();
    has_placeholder = false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '}') return "unmatched '}' at character " + std::to_string(i + 1);
        if (t[i] != '{') {
            out += t[i];
            continue;
        }
        const auto close = t.find('}', i);
        if (close == std::string_view::npos) return "unmatched '{' at character " + std::to_string(i + 1);
        std::string inner;
        for (char ch : t.substr(i + 1, close - i - 1))
            if (ch != ' ') inner += ch;
        std::uint64_t base = 0;
        if (inner != "p") {
            const auto plus = inner.find('+');
            if (plus == std::string::npos || inner.substr(plus + 1) != "p" ||
                !parse_decimal(std::string_view(inner).substr(0, plus), 9, base))
                return "placeholder " + std::string(t.substr(i, close - i + 1)) + " at character " +
                       std::to_string(i + 1) + " is not {p} or {B+p} (B a non-negative integer)";
        }
        out += std::to_string(base + p);
        has_placeholder = true;
        i = close;
    }
    return {};
}

/// Parses one sink URI into `out`; returns what is wrong, "" when nothing is.
std::string parse_sink(const load_context& c, std::string_view uri, sink_config& out) {
    namespace fs = std::filesystem;
    out = sink_config{};
    out.uri = std::string(uri);
    const auto rest_after = [&](std::string_view scheme) { return uri.substr(scheme.size()); };
    if (uri == "null") {
        out.kind = sink_kind::null;
        return {};
    }
    if (uri.starts_with("udp://") || uri.starts_with("tcp://")) {
        out.kind = uri.starts_with("udp") ? sink_kind::udp : sink_kind::tcp;
        return parse_endpoint(rest_after("udp://"), false, out.destination);
    }
    if (uri.starts_with("file://")) {
        out.kind = sink_kind::file;
        const std::string_view p = rest_after("file://");
        if (p.empty() || p == "/") return "expected a file path after \"file://\", found " + quote(uri);
        out.path = p.front() == '/' ? std::string(p) : (c.base_dir / fs::path(p)).string();
        return {};
    }
    if (uri.starts_with("dpdk://")) {
        out.kind = sink_kind::dpdk;
        const std::string_view r = rest_after("dpdk://");
        const auto s1 = r.find('/');
        const auto s2 = s1 == std::string_view::npos ? s1 : r.find('/', s1 + 1);
        const std::string form =
            "expected dpdk://PORT/MAC/IP:UDPPORT (e.g. dpdk://0/02:00:00:00:00:02/10.0.0.2:9000), found " +
            quote(uri);
        if (s2 == std::string_view::npos) return form;
        std::uint64_t port = 0;
        if (!parse_decimal(r.substr(0, s1), 5, port) || port > 65535)
            return form + ": PORT must be an index into [[dpdk.ports]]";
        out.dpdk_port = static_cast<std::uint16_t>(port);
        out.dpdk_mac = std::string(r.substr(s1 + 1, s2 - s1 - 1));
        if (!is_mac(out.dpdk_mac)) return form + ": MAC must be six hex pairs aa:bb:cc:dd:ee:ff";
        std::string why = parse_endpoint(r.substr(s2 + 1), false, out.destination);
        if (!why.empty()) return why;
        if (!is_ipv4(out.destination.host)) return form + ": IP must be a dotted IPv4 address";
        return {};
    }
    return "expected udp://host:port, tcp://host:port, file://path, null or dpdk://PORT/MAC/IP:UDPPORT, "
           "found " +
           quote(uri);
}

/// Rules for one parsed sink, given the rest of the config.
std::string check_sink(const load_context& c, const sink_config& s) {
    const config& cfg = c.cfg;
    if (s.kind == sink_kind::dpdk) {
        if (cfg.dpdk.ports.empty()) return "dpdk sinks need a port, and [[dpdk.ports]] declares none";
        if (s.dpdk_port >= cfg.dpdk.ports.size())
            return "dpdk port " + std::to_string(s.dpdk_port) +
                   " is not declared; expected an index into "
                   "[[dpdk.ports]] (0.." +
                   std::to_string(cfg.dpdk.ports.size() - 1) + ")";
    }
    return {};
}

void check_block_sizes(load_context& c) {
    const config& cfg = c.cfg;
    if (cfg.format.kind != format_kind::fixed) return;
    bool udp = false, stream = false, dpdk = false;
    const auto note = [&](const sink_config& s) {
        udp |= s.kind == sink_kind::udp;
        dpdk |= s.kind == sink_kind::dpdk;
        stream |= s.kind == sink_kind::tcp || s.kind == sink_kind::file || s.kind == sink_kind::null;
    };
    for (const auto& s : cfg.sinks) note(s);
    if (cfg.dead_letter) note(*cfg.dead_letter);
    const std::uint32_t rs = cfg.format.record_size;
    const auto need = [&](bool used, std::string_view key, std::uint32_t have, std::string_view what) {
        if (used && have < rs)
            c.fail_at(c.given(key) ? key : "format.record_size",
                      std::string(key) + " (" + std::to_string(have) + ") cannot hold one " +
                          std::to_string(rs) + "-byte record (format.record_size); " + std::string(what) +
                          " carry whole records");
    };
    need(udp, "sinks.datagram_bytes", cfg.datagram_bytes, "udp datagrams");
    need(stream, "router.stream_block_bytes", cfg.router.stream_block_bytes,
         "tcp, file and null sink blocks");
    need(dpdk, "dpdk.payload_bytes", cfg.dpdk.payload_bytes, "dpdk frames");
}

void check_sinks(load_context& c) {
    config& cfg = c.cfg;
    const std::uint32_t n = cfg.router.partitions;
    const bool has_template = c.given("sinks.uri"), has_list = c.given("sinks.uris");
    if (!has_template && !has_list)
        c.fail_at("sinks", "expected sinks.uri (a template expanded per partition) or sinks.uris "
                           "(one URI per partition), found neither");
    if (has_template && has_list)
        c.fail_at("sinks.uris",
                  "set together with sinks.uri" + at_line(c, "sinks.uri") + "; expected exactly one");
    cfg.sinks.assign(n, sink_config{});
    if (has_template) {
        std::string uri;
        bool placeholder = false;
        for (std::uint32_t p = 0; p < n; ++p) {
            std::string why = expand_template(c.sink_template.text, p, uri, placeholder);
            if (why.empty()) why = parse_sink(c, uri, cfg.sinks[p]);
            if (why.empty()) why = check_sink(c, cfg.sinks[p]);
            if (!why.empty())
                c.fail_at("sinks.uri",
                          (placeholder ? "partition " + std::to_string(p) + " (" + quote(uri) + "): " : "") +
                              why);
        }
    } else {
        if (c.sink_uris.size() != n)
            c.fail_at("sinks.uris", "expected router.partitions (" + std::to_string(n) + ") entries, found " +
                                        std::to_string(c.sink_uris.size()));
        for (std::uint32_t p = 0; p < n; ++p) {
            const auto& u = c.sink_uris[p];
            std::string why =
                u.text.find_first_of("{}") != std::string::npos
                    ? "placeholders such as {p} are for sinks.uri; sinks.uris entries are literal"
                    : parse_sink(c, u.text, cfg.sinks[p]);
            if (why.empty()) why = check_sink(c, cfg.sinks[p]);
            if (!why.empty()) c.fail(u.pos, "sinks.uris[" + std::to_string(p) + "]", why);
        }
    }
    if (c.given("sinks.dead_letter")) {
        sink_config dl;
        std::string why = c.dead_letter.text.find_first_of("{}") != std::string::npos
                              ? "placeholders are for sinks.uri; the dead-letter sink is one sink"
                              : parse_sink(c, c.dead_letter.text, dl);
        if (why.empty()) why = check_sink(c, dl);
        if (!why.empty()) c.fail_at("sinks.dead_letter", why);
        cfg.dead_letter = std::move(dl);
    }
    // Two writers on one file would interleave blocks.
    for (std::uint32_t p = 0; p < n; ++p) {
        if (cfg.sinks[p].kind != sink_kind::file) continue;
        for (std::uint32_t q = 0; q < p; ++q)
            if (cfg.sinks[q].kind == sink_kind::file && cfg.sinks[q].path == cfg.sinks[p].path)
                c.fail(has_template ? c.where("sinks.uri") : c.sink_uris[p].pos,
                       has_template ? "sinks.uri" : "sinks.uris[" + std::to_string(p) + "]",
                       "partitions " + std::to_string(q) + " and " + std::to_string(p) + " both write " +
                           quote(cfg.sinks[p].path) + "; expected one file per partition (use {p})");
        if (cfg.dead_letter && cfg.dead_letter->kind == sink_kind::file &&
            cfg.dead_letter->path == cfg.sinks[p].path)
            c.fail_at("sinks.dead_letter", "writes " + quote(cfg.sinks[p].path) + ", partition " +
                                               std::to_string(p) + "'s sink; expected a file of its own");
    }
    check_block_sizes(c);
}

// ------------------------------------------------------------------ source_partitioning, dpdk

void check_source_partitioning(load_context& c) {
    if (!c.given("source_partitioning")) return;
    source_partitioning& d = c.cfg.declared_source;
    for (const char* key : {"key_columns", "partitions"})
        if (!c.given(std::string("source_partitioning.") + key))
            missing(c, "source_partitioning", "source_partitioning." + std::string(key),
                    "required when [source_partitioning] is declared");
    if (d.partitioner == hash_function::kafka_murmur2) {
        for (const char* key : {"source_partitioning.seed", "source_partitioning.key_groups"})
            if (c.given(key))
                c.fail_at(key, "only for partitioner = \"xxh3\"; this partitioner is \"kafka_murmur2\"");
    } else if (d.key_groups != 0 && d.key_groups < d.partitions) {
        c.fail_at("source_partitioning.key_groups",
                  "expected 0 or a power of two >= source_partitioning.partitions (" +
                      std::to_string(d.partitions) + "), found " + std::to_string(d.key_groups));
    }
    const record_format& f = c.cfg.format;
    for (std::size_t i = 0; i < d.key_columns.size(); ++i) {
        const std::string k = "source_partitioning.key_columns[" + std::to_string(i) + "]";
        if (f.kind != format_kind::ndjson && !f.find_field(d.key_columns[i]))
            c.fail_at(k, "expected the name of a declared field (" + field_names(f) + "), found " +
                             quote(d.key_columns[i]));
        for (std::size_t j = 0; j < i; ++j)
            if (d.key_columns[j] == d.key_columns[i])
                c.fail_at(k, "column " + quote(d.key_columns[i]) + " is already key_columns[" +
                                 std::to_string(j) + "]; expected each column once");
    }
}

/// Each receive queue of a port that sources read is polled by exactly one
/// source: the NIC spreads flows over all of its queues (RSS), and a queue
/// nobody polls loses its frames without a counter of ours seeing them. A
/// port no source reads (transmit only) is left alone.
void check_dpdk_queues(load_context& c) {
    const auto& sources = c.cfg.sources;
    for (std::size_t port = 0; port < c.cfg.dpdk.ports.size(); ++port) {
        const std::uint16_t queues = c.cfg.dpdk.ports[port].rx_queues;
        std::vector<int> poller(queues, -1); // source index per queue
        bool read = false;
        for (std::size_t i = 0; i < sources.size(); ++i) {
            const source_config& s = sources[i];
            if (s.kind != source_kind::dpdk || s.dpdk_port != port) continue;
            read = true;
            int& first = poller[s.dpdk_queue]; // check_sources bounded dpdk_queue
            if (first >= 0) {
                const std::string k = "sources[" + std::to_string(i) + "]";
                const std::string other = "sources[" + std::to_string(first) + "]";
                c.fail_at(c.given(k + ".dpdk_queue") ? k + ".dpdk_queue" : k,
                          "dpdk port " + std::to_string(port) + " queue " + std::to_string(s.dpdk_queue) +
                              " is already polled by " + other + at_line(c, other) +
                              "; expected one source per receive queue");
            }
            first = static_cast<int>(i);
        }
        if (!read) continue;
        std::string idle;
        std::size_t nidle = 0;
        for (std::uint16_t q = 0; q < queues; ++q)
            if (poller[q] < 0) idle += (nidle++ ? ", " : "") + std::to_string(q);
        if (nidle == 0) continue;
        const std::string k = "dpdk.ports[" + std::to_string(port) + "]";
        c.fail_at(c.given(k + ".rx_queues") ? k + ".rx_queues" : k,
                  "rx_queues = " + std::to_string(queues) + ", but no [[sources]] entry polls queue" +
                      (nidle > 1 ? "s " : " ") + idle + ": the frames the port hands to " +
                      (nidle > 1 ? "them" : "it") +
                      " would be lost uncounted; expected a kind = \"dpdk\" source with dpdk_port = " +
                      std::to_string(port) + " for every queue (dpdk_queue = 0.." +
                      std::to_string(queues - 1) + "), or fewer rx_queues");
    }
}

/// What `shardgate run` would refuse only once the EAL is up, refused here
/// (and so by `check` too): dpdk sinks need their port's source address and
/// a transmit queue per egress thread that sends on it (partition p goes to
/// egress thread p % the number of egress CPUs, the dead-letter sink to
/// thread 0).
void check_dpdk_sink_ports(load_context& c) {
    const config& cfg = c.cfg;
    const std::size_t egress = std::max<std::size_t>(cfg.router.egress_cpus.size(), 1);
    const std::size_t ports = cfg.dpdk.ports.size();
    std::vector<std::size_t> queues_needed(ports, 0);
    std::vector<std::string> first_user(ports);
    const auto use = [&](const sink_config& s, std::size_t thread, const std::string& who) {
        if (s.kind != sink_kind::dpdk || s.dpdk_port >= ports) return; // check_sink refused the latter
        if (thread + 1 > queues_needed[s.dpdk_port]) queues_needed[s.dpdk_port] = thread + 1;
        if (first_user[s.dpdk_port].empty()) first_user[s.dpdk_port] = who;
    };
    for (std::size_t p = 0; p < cfg.sinks.size(); ++p)
        use(cfg.sinks[p], p % egress, "partition " + std::to_string(p) + "'s sink");
    if (cfg.dead_letter) use(*cfg.dead_letter, 0, "the dead-letter sink");
    for (std::size_t i = 0; i < ports; ++i) {
        if (queues_needed[i] == 0) continue;
        const dpdk_port_config& port = cfg.dpdk.ports[i];
        const std::string k = "dpdk.ports[" + std::to_string(i) + "]";
        if (port.ip.empty())
            c.fail_at(c.given(k + ".ip") ? k + ".ip" : k,
                      first_user[i] + " sends from this port, whose ip is empty; expected the frames' source "
                                      "IPv4 address (e.g. ip = \"10.0.0.1\")");
        if (port.tx_queues < queues_needed[i])
            c.fail_at(c.given(k + ".tx_queues") ? k + ".tx_queues" : k,
                      "tx_queues = " + std::to_string(port.tx_queues) + ", but egress thread " +
                          std::to_string(queues_needed[i] - 1) +
                          " sends on this port and each egress thread needs its own transmit queue "
                          "(partition p goes to thread p % " +
                          std::to_string(egress) +
                          ", the number of router.egress_cpus); expected tx_queues >= " +
                          std::to_string(queues_needed[i]));
    }
}

/// Whether `device` is a vdev of `driver` ("pcap": net_pcap0,... or the
/// legacy eth_pcap0,...).
bool vdev_of(std::string_view device, std::string_view driver) {
    const std::string_view name = device.substr(0, device.find(','));
    for (std::string_view prefix : {"net_", "eth_"})
        if (name.starts_with(prefix) && name.substr(prefix.size()).starts_with(driver)) return true;
    return false;
}

/// Whether a vdev string's arguments ("net_pcap0,rx_pcap=a,tx_pcap=b")
/// include one of `keys`.
bool has_device_arg(std::string_view device, std::initializer_list<std::string_view> keys) {
    std::size_t at = device.find(',');
    while (at != std::string_view::npos) {
        const std::size_t next = device.find(',', at + 1);
        const std::string_view arg =
            device.substr(at + 1, next == std::string_view::npos ? next : next - at - 1);
        const std::string_view key = arg.substr(0, arg.find('='));
        for (std::string_view k : keys)
            if (key == k) return true;
        at = next;
    }
    return false;
}

/// The device string with its arguments: `device` itself, or, for a bare
/// name, the --vdev in dpdk.eal_args that created it ("--vdev=NAME,..." or
/// "--vdev" "NAME,...").
std::string_view device_with_arguments(const config& cfg, std::string_view device) {
    if (device.find(',') != std::string_view::npos) return device;
    const auto names_it = [&](std::string_view vdev) { return vdev.substr(0, vdev.find(',')) == device; };
    const std::vector<std::string>& args = cfg.dpdk.eal_args;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        if (a.starts_with("--vdev=") && names_it(a.substr(7))) return a.substr(7);
        if (a == "--vdev" && i + 1 < args.size() && names_it(args[i + 1])) return args[i + 1];
    }
    return device;
}

/// net_pcap gives each side it has no file or interface for a stand-in:
/// receive returns nothing, and transmit drops every frame while counting
/// it sent. A source on such a port would wait for nothing, and a sink
/// would lose every record it counted out: both are refused.
void check_pcap_sides(load_context& c, std::size_t i) {
    const config& cfg = c.cfg;
    const dpdk_port_config& p = cfg.dpdk.ports[i];
    if (!vdev_of(p.device, "pcap")) return;
    const std::string k = "dpdk.ports[" + std::to_string(i) + "].device";
    const std::string_view device = device_with_arguments(cfg, p.device);
    // What the message quotes: the device, and the --vdev it took its arguments from.
    const std::string shown = device == p.device
                                  ? quote(p.device)
                                  : quote(p.device) + " (its --vdev in dpdk.eal_args: " + quote(device) + ")";
    for (std::size_t s = 0; s < cfg.sources.size(); ++s) {
        if (cfg.sources[s].kind != source_kind::dpdk || cfg.sources[s].dpdk_port != i) continue;
        if (!has_device_arg(device, {"rx_pcap", "rx_iface", "rx_iface_in", "iface"}))
            c.fail_at(k, "sources[" + std::to_string(s) + "]" +
                             at_line(c, "sources[" + std::to_string(s) + "]") + " receives from " + shown +
                             ", which has no receive side: net_pcap would hand it nothing; expected "
                             "rx_pcap=FILE, rx_iface=IF, rx_iface_in=IF or iface=IF in the device string (or "
                             "in its --vdev in dpdk.eal_args)");
        break;
    }
    std::string sender;
    for (std::size_t s = 0; s < cfg.sinks.size() && sender.empty(); ++s)
        if (cfg.sinks[s].kind == sink_kind::dpdk && cfg.sinks[s].dpdk_port == i)
            sender = "partition " + std::to_string(s) + "'s sink";
    if (sender.empty() && cfg.dead_letter && cfg.dead_letter->kind == sink_kind::dpdk &&
        cfg.dead_letter->dpdk_port == i)
        sender = "the dead-letter sink";
    if (!sender.empty() && !has_device_arg(device, {"tx_pcap", "tx_iface", "iface"}))
        c.fail_at(
            k, sender + " sends to " + shown +
                   ", which has no transmit side: net_pcap would drop every frame and count it sent; "
                   "expected tx_pcap=FILE, tx_iface=IF or iface=IF in the device string (or in its --vdev in "
                   "dpdk.eal_args; net_null discards frames on purpose)");
}

void check_dpdk(load_context& c) {
    for (std::size_t i = 0; i < c.cfg.dpdk.ports.size(); ++i) {
        check_pcap_sides(c, i);
        const dpdk_port_config& p = c.cfg.dpdk.ports[i];
        const std::string k = "dpdk.ports[" + std::to_string(i) + "]";
        if (!c.given(k + ".device")) missing(c, k, k + ".device", "expected a PCI address or vdev string");
        if (!p.mac.empty() && !is_mac(p.mac))
            c.fail_at(k + ".mac", "expected \"\" or six hex pairs aa:bb:cc:dd:ee:ff, found " + quote(p.mac));
        if (!p.ip.empty() && !is_ipv4(p.ip))
            c.fail_at(k + ".ip", "expected \"\" or a dotted IPv4 address, found " + quote(p.ip));
        // The tap driver (vdevs net_tap, net_tun and their eth_ aliases)
        // needs as many tx as rx queues, and DPDK 22.11's passes its queues'
        // descriptors to secondary processes in one message of at most 8,
        // aborting the process (stack smashing) when there are more.
        const std::string_view name = std::string_view(p.device).substr(0, p.device.find(','));
        const bool tap = vdev_of(p.device, "tap") || vdev_of(p.device, "tun");
        if (tap && (p.rx_queues != p.tx_queues || p.rx_queues > 4))
            c.fail_at(c.given(k + ".tx_queues") ? k + ".tx_queues" : k + ".rx_queues",
                      "the tap driver (" + std::string(name) +
                          ") needs as many tx as rx queues, and at most 4 of each (DPDK aborts the process "
                          "beyond); found rx_queues = " +
                          std::to_string(p.rx_queues) + ", tx_queues = " + std::to_string(p.tx_queues) +
                          "; expected rx_queues = tx_queues <= 4");
    }
    check_dpdk_queues(c);
    check_dpdk_sink_ports(c);
}

} // namespace

std::string parse_endpoint(std::string_view text, bool port_zero_ok, endpoint& out) {
    const std::string forms = "expected host:port, [IPv6]:port or name:port, found " + quote(text);
    std::string_view host, port;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return forms;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        in6_addr a{};
        if (inet_pton(AF_INET6, std::string(host).c_str(), &a) != 1)
            return forms + ": " + quote(host) + " is not an IPv6 address";
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return forms + ": no port";
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.empty()) return forms + ": no host";
        if (host.find(':') != std::string_view::npos) return forms + ": write IPv6 addresses in brackets";
        const bool numeric = host.find_first_not_of("0123456789.") == std::string_view::npos;
        if (numeric && !is_ipv4(std::string(host)))
            return forms + ": " + quote(host) + " is not an IPv4 address";
        if (host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
            std::string_view::npos)
            return forms + ": " + quote(host) + " is not a host name";
    }
    std::uint64_t p = 0;
    const std::uint64_t lowest = port_zero_ok ? 0 : 1;
    if (!parse_decimal(port, 5, p) || p < lowest || p > 65535)
        return "expected a port in [" + std::to_string(lowest) + ", 65535], found " + quote(port) + " in " +
               quote(text);
    out.host = std::string(host);
    out.port = static_cast<std::uint16_t>(p);
    return {};
}

void finalize(load_context& c) {
    check_router(c);
    check_format(c);
    check_sources(c);
    check_sinks(c);
    check_source_partitioning(c);
    check_dpdk(c);
}

} // namespace shardgate::control::config_detail
