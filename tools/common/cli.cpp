#include "tools/common/cli.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <netdb.h>

namespace shardgate::tools {

namespace {
bool ieq(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}
} // namespace

arg_parser::arg_parser(std::string_view program, std::string_view synopsis, std::vector<flag_spec> flags)
    : program_(program), synopsis_(synopsis), flags_(std::move(flags)) {}

const flag_spec* arg_parser::find(std::string_view name) const {
    for (const auto& f : flags_)
        if (f.name == name) return &f;
    return nullptr;
}

void arg_parser::parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a.size() < 3 || a.substr(0, 2) != "--")
            throw usage_error("unexpected argument '" + std::string(a) +
                              "' (every argument is a --flag; see --help)");
        a.remove_prefix(2);
        std::optional<std::string> inline_value;
        if (const auto eq = a.find('='); eq != std::string_view::npos) {
            inline_value = std::string(a.substr(eq + 1));
            a = a.substr(0, eq);
        }
        const flag_spec* f = find(a);
        if (!f) throw usage_error("unknown flag '--" + std::string(a) + "' (see --help)");
        if (f->value.empty()) {
            if (inline_value) throw usage_error("flag '--" + std::string(a) + "' takes no value");
            values_.insert_or_assign(std::string(a), "");
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= argc)
                throw usage_error("flag '--" + std::string(a) + "' needs a value (" + std::string(f->value) +
                                  ")");
            inline_value = argv[++i];
        }
        values_.insert_or_assign(std::string(a), *inline_value); // repeated: the last one wins
    }
}

bool arg_parser::has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::optional<std::string> arg_parser::get(std::string_view name) const {
    const auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::uint64_t arg_parser::get_u64(std::string_view name, std::uint64_t fallback, std::uint64_t min,
                                  std::uint64_t max) const {
    const auto v = get(name);
    if (!v) return fallback;
    const std::string& s = *v;
    std::uint64_t r = 0;
    bool ok = !s.empty() && s.size() <= 20;
    for (char c : s) {
        if (c < '0' || c > '9') {
            ok = false;
            break;
        }
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (r > (UINT64_MAX - d) / 10) {
            ok = false;
            break;
        }
        r = r * 10 + d;
    }
    if (!ok || r < min || r > max)
        throw usage_error("--" + std::string(name) + ": expected an integer in [" + std::to_string(min) +
                          ", " + std::to_string(max) + "], got '" + s + "'");
    return r;
}

double arg_parser::get_double(std::string_view name, double fallback, double min, double max) const {
    const auto v = get(name);
    if (!v) return fallback;
    char* end = nullptr;
    const double d = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0' || !std::isfinite(d) || d < min || d > max) {
        char range[96];
        std::snprintf(range, sizeof range, "[%g, %g]", min, max);
        throw usage_error("--" + std::string(name) + ": expected a number in " + range + ", got '" + *v +
                          "'");
    }
    return d;
}

std::string arg_parser::get_choice(std::string_view name, std::string_view fallback,
                                   const std::vector<std::string_view>& choices) const {
    const auto v = get(name);
    if (!v) return std::string(fallback);
    for (auto c : choices)
        if (ieq(*v, c)) return std::string(c);
    std::string list;
    for (auto c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
    throw usage_error("--" + std::string(name) + ": expected one of " + list + ", got '" + *v + "'");
}

std::string arg_parser::help() const {
    constexpr std::size_t indent = 28;
    constexpr std::size_t width = 100;
    std::string out = "usage: " + program_ + " " + synopsis_ + "\n\nflags:\n";
    for (const auto& f : flags_) {
        std::string left = "  --";
        left += f.name;
        if (!f.value.empty()) (left += ' ') += f.value;
        if (left.size() < indent)
            left.resize(indent, ' ');
        else
            (left += '\n').append(indent, ' ');
        std::string text(f.help);
        if (!f.fallback.empty()) ((text += " (default ") += f.fallback) += ')';
        // wrap the description at word boundaries
        std::size_t col = indent;
        std::size_t pos = 0;
        out += left;
        while (pos < text.size()) {
            std::size_t end = text.find(' ', pos);
            if (end == std::string::npos) end = text.size();
            const std::size_t word = end - pos;
            if (col > indent && col + 1 + word > width) {
                (out += '\n').append(indent, ' ');
                col = indent;
            } else if (col > indent) {
                out += ' ';
                ++col;
            }
            out.append(text, pos, word);
            col += word;
            pos = end + 1;
        }
        out += '\n';
    }
    return out;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = text.find(',', start);
        out.emplace_back(
            text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

endpoint endpoint::with_port_offset(std::uint16_t offset) const {
    endpoint e = *this;
    e.port = static_cast<std::uint16_t>(port + offset);
    if (family == AF_INET6)
        reinterpret_cast<sockaddr_in6*>(&e.addr)->sin6_port = htons(e.port);
    else
        reinterpret_cast<sockaddr_in*>(&e.addr)->sin_port = htons(e.port);
    return e;
}

std::string endpoint::to_string() const {
    return (family == AF_INET6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

endpoint parse_endpoint(std::string_view flag, std::string_view text, std::uint32_t count) {
    const std::string where = "--" + std::string(flag) + ": ";
    std::string_view host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw usage_error(where + "expected [IPV6]:PORT, got '" + std::string(text) + "'");
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || colon == 0)
            throw usage_error(where + "expected HOST:PORT, got '" + std::string(text) + "'");
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    std::uint32_t port = 0;
    bool ok = !port_text.empty() && port_text.size() <= 5;
    for (char c : port_text) {
        if (c < '0' || c > '9')
            ok = false;
        else
            port = port * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (!ok || port == 0 || port > 65535)
        throw usage_error(where + "expected a port in [1, 65535], got '" + std::string(port_text) + "' in '" +
                          std::string(text) + "'");
    if (count > 1 && port + count - 1 > 65535)
        throw usage_error(where + "ports " + std::to_string(port) + ".." + std::to_string(port + count - 1) +
                          " run past 65535");
    // A name resolves to IPv4 when it can ("localhost" must mean 127.0.0.1,
    // where shardgate's sources listen by default), else to anything.
    addrinfo hints{};
    hints.ai_family = text.front() == '[' ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    const std::string h(host);
    int rc = getaddrinfo(h.c_str(), nullptr, &hints, &res);
    if (rc != 0 && hints.ai_family == AF_INET) {
        hints.ai_family = AF_UNSPEC;
        rc = getaddrinfo(h.c_str(), nullptr, &hints, &res);
    }
    if (rc != 0 || !res) throw usage_error(where + "cannot resolve host '" + h + "': " + gai_strerror(rc));
    endpoint e;
    std::memcpy(&e.addr, res->ai_addr, res->ai_addrlen);
    e.length = static_cast<socklen_t>(res->ai_addrlen);
    e.family = res->ai_family;
    freeaddrinfo(res);
    e.host = h;
    e.port = 0;
    return e.with_port_offset(static_cast<std::uint16_t>(port));
}

void sys_fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

void emit_summary(const arg_parser& args, const std::string& json) {
    std::cout << json << std::endl;
    if (auto f = args.get("summary-json")) {
        std::ofstream out(*f);
        out << json << '\n';
        if (!out) sys_fail("cannot write " + *f);
    }
}

int tool_main(std::string_view program, int (*run)(int, char**), int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const usage_error& e) {
        std::cerr << program << ": " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << program << ": " << e.what() << '\n';
        return 3;
    }
}

} // namespace shardgate::tools
