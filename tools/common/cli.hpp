#pragma once
/// Command-line flags for the bundled tools: one table of flags (name, value,
/// default, help) that both parses and prints --help, and errors that name
/// the flag, the value seen and what was expected.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

namespace shardgate::tools {

/// Bad flags or flag values; main prints the message and exits 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct flag_spec {
    std::string_view name;     ///< without the leading "--"
    std::string_view value;    ///< value placeholder ("N"); empty: a switch without a value
    std::string_view fallback; ///< default shown in --help ("" = none)
    std::string_view help;
};

class arg_parser {
public:
    arg_parser(std::string_view program, std::string_view synopsis, std::vector<flag_spec> flags);

    /// Accepts `--name value` and `--name=value`; a flag given again
    /// overrides (scripts append to defaults). Throws usage_error on an
    /// unknown flag, a missing value, a value given to a switch, or a
    /// positional argument.
    void parse(int argc, char** argv);

    [[nodiscard]] bool has(std::string_view name) const;
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
    /// An integer in [min, max]; `fallback` when absent.
    [[nodiscard]] std::uint64_t get_u64(std::string_view name, std::uint64_t fallback, std::uint64_t min = 0,
                                        std::uint64_t max = UINT64_MAX) const;
    /// A finite number in [min, max]; `fallback` when absent.
    [[nodiscard]] double get_double(std::string_view name, double fallback, double min, double max) const;
    /// One of `choices` (case-insensitive); returns the canonical choice.
    [[nodiscard]] std::string get_choice(std::string_view name, std::string_view fallback,
                                         const std::vector<std::string_view>& choices) const;

    [[nodiscard]] std::string help() const;

private:
    const flag_spec* find(std::string_view name) const;
    std::string program_;
    std::string synopsis_;
    std::vector<flag_spec> flags_;
    std::map<std::string, std::string, std::less<>> values_;
};

/// Throws std::runtime_error "WHAT: <strerror(errno)>" (I/O failures: exit 3).
[[noreturn]] void sys_fail(const std::string& what);

/// Prints a tool's one-line JSON summary on stdout and, with
/// --summary-json FILE, writes it there too (sys_fail when it cannot).
void emit_summary(const arg_parser& args, const std::string& json);

/// A tool's main: runs `run`, turning usage_error into "PROGRAM: message" and
/// exit 2, and any other exception into the same and exit 3.
int tool_main(std::string_view program, int (*run)(int, char**), int argc, char** argv);

/// Splits "a,b,c" (empty items rejected by callers as needed).
[[nodiscard]] std::vector<std::string> split_list(std::string_view text);

/// A resolved socket address.
struct endpoint {
    sockaddr_storage addr{};
    socklen_t length = 0;
    int family = AF_INET;
    std::string host; ///< as written
    std::uint16_t port = 0;

    /// This endpoint with its port moved up by `offset`.
    [[nodiscard]] endpoint with_port_offset(std::uint16_t offset) const;
    [[nodiscard]] std::string to_string() const;
};

/// Parses HOST:PORT ("127.0.0.1:9000", "localhost:9000", "[::1]:9000") for
/// flag `flag`, and checks that PORT..PORT+count-1 are valid ports. Throws
/// usage_error naming the flag and the text.
[[nodiscard]] endpoint parse_endpoint(std::string_view flag, std::string_view text, std::uint32_t count = 1);

} // namespace shardgate::tools
