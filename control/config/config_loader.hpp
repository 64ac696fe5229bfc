#pragma once
/// Loading the router's TOML configuration (docs/configuration.md) into
/// `shardgate::config`. Every key is declared once, in control/config/schema.cpp,
/// with its type, default, bounds and description; that table drives loading,
/// validation, `config_keys()` and the key reference in docs/configuration.md.
///
/// Control plane only: these functions allocate, read files and throw.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "shardgate/config.hpp"

namespace shardgate::control {

/// A configuration that cannot be loaded: a TOML syntax error, an unknown key,
/// a value of the wrong type or out of bounds, a missing required key, or a
/// broken rule between keys. what() is one line,
/// "FILE:LINE:COL: key 'router.partitions': expected an integer in [1, 65535], found 0",
/// naming where, the key, what was seen and what was expected. line() and
/// column() are 1-based; both are 0 when the problem has no place in the text
/// (a missing table, an unreadable file), and the message then starts "FILE: ".
class config_error : public std::runtime_error {
public:
    config_error(std::string file, std::uint32_t line, std::uint32_t column, std::string key,
                 const std::string& message);

    [[nodiscard]] const std::string& file() const noexcept { return file_; }
    [[nodiscard]] std::uint32_t line() const noexcept { return line_; }
    [[nodiscard]] std::uint32_t column() const noexcept { return column_; }
    /// The key path the error is about ("sources[1].bind"); empty for syntax errors.
    [[nodiscard]] const std::string& key() const noexcept { return key_; }

private:
    std::string file_;
    std::uint32_t line_;
    std::uint32_t column_;
    std::string key_;
};

/// What the loader checks against the machine the router will run on.
struct load_options {
    /// CPUs that CPU ids in router.dataplane_cpus / egress_cpus must stay
    /// below; 0 = this machine's configured CPU count.
    std::uint32_t cpu_count = 0;
};

/// Reads and validates the TOML file at `path`. Relative paths inside it
/// (router.query_file, file:// sinks) are relative to the file's directory;
/// the query file is read into router.query_text. Throws config_error
/// (including when `path` cannot be read). Any thread; cost is that of
/// parsing a few kilobytes of TOML and reading the query file.
[[nodiscard]] config load_config_file(const std::string& path, const load_options& options = {});

/// As load_config_file, for TOML text already in memory. `origin_name` names
/// the text in messages and becomes config::path; relative paths inside the
/// text are relative to origin_name's directory (the current directory when
/// it has none, e.g. "inline.toml").
[[nodiscard]] config load_config_string(std::string_view toml, const std::string& origin_name,
                                        const load_options& options = {});

/// Reads the whole file at `path`. On failure returns nullopt and sets `why`
/// to what went wrong ("is a directory", or the system's reason); callers
/// put it in their own error. Control plane only.
[[nodiscard]] std::optional<std::string> read_whole_file(const std::string& path, std::string& why);

/// One declared key, as `shardgate check --keys` and docs/configuration.md show it.
struct key_doc {
    std::string path; ///< "router.partitions", "sources[].bind" ([] = each entry of an array of tables)
    std::string type; ///< "integer", "string", "boolean", "array of integers", ...
    std::string
        default_value;  ///< a TOML literal ("32", "\"xxh3\"", "[0]"), or a note in parentheses ("(required)")
    std::string bounds; ///< range, allowed values and rules involving other keys
    std::string description;
};

/// Every declared key, in schema order (sections, then their keys).
[[nodiscard]] std::vector<key_doc> config_keys();

/// The key reference of docs/configuration.md: one Markdown table per
/// section, generated from config_keys().
[[nodiscard]] std::string config_keys_markdown();

} // namespace shardgate::control
