#pragma once
// The configuration schema: one table of every key (schema.cpp), the walker
// that checks a parsed document against it and stores values into `config`,
// and the rules between keys that run once every key is in (validate.cpp).

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "control/config/toml_tree.hpp"
#include "shardgate/config.hpp"

namespace shardgate::control::config_detail {

enum class value_kind : std::uint8_t {
    integer,
    boolean,
    string,
    integer_list,
    string_list,
    table,      // a section: its keys are declared as "<path>.<key>"
    table_list, // an array of tables: its keys are declared as "<path>[].<key>"
    seed,       // an integer in [min, max], or a hex string "0x..." for the full 64 bits
};

enum class int_rule : std::uint8_t {
    range,                // min ≤ v ≤ max
    power_of_two,         // and a power of two
    zero_or_range,        // 0, or min ≤ v ≤ max
    zero_or_power_of_two, // 0, or a power of two in [min, max]
};

struct load_context;
/// Stores a value the walker has already checked against its key_spec.
using store_fn = void (*)(load_context&, const toml_value&);

struct key_spec {
    std::string_view path{}; // schema path: "router.partitions", "sources[].bind"
    value_kind kind = value_kind::integer;
    std::string_view default_value{}; // TOML literal, or "(note)" when there is none
    std::int64_t min = 0;             // integer, seed, integer_list entries
    std::int64_t max = 0;
    int_rule rule = int_rule::range;
    std::uint32_t min_items = 0; // lists and table lists: entries; string: minimum length
    std::uint32_t max_items = 0;
    std::string_view choices{};              // string: allowed values, '|'-separated; empty = any string
    std::string (*choices_text)() = nullptr; // string: allowed values listed elsewhere (checked by store)
    std::string_view notes{};                // rules involving other keys, in words (docs and --keys)
    std::string_view description{};
    store_fn store = nullptr; // table_list: called once per entry, before its keys
};

/// Every key, sections first-seen order.
[[nodiscard]] std::span<const key_spec> schema() noexcept;
/// The key with this schema path, or nullptr.
[[nodiscard]] const key_spec* find_key(std::string_view path) noexcept;

/// "1..65535", "power of two, 1..32768", "one of: xxh3, kafka_murmur2", plus notes.
[[nodiscard]] std::string bounds_text(const key_spec& k);
/// "integer", "array of strings", ...
[[nodiscard]] std::string_view type_text(value_kind k) noexcept;

struct located_string {
    std::string text;
    text_pos pos;
};

/// State while loading one document.
struct load_context {
    config& cfg;
    std::string file;               // for messages
    std::filesystem::path base_dir; // relative paths resolve against it
    std::uint32_t cpu_count = 0;    // CPU ids must stay below it

    std::map<std::string, text_pos, std::less<>> seen{};   // concrete key path → value position
    std::map<std::string, text_pos, std::less<>> tables{}; // concrete table path → its position
    std::string current_key{}; // concrete path of the value being stored (for store functions' messages)

    // Keys resolved only once every key is in (they depend on others).
    located_string sink_template{};          // sinks.uri
    std::vector<located_string> sink_uris{}; // sinks.uris
    located_string dead_letter{};            // sinks.dead_letter
    located_string query_file{};             // router.query_file

    [[nodiscard]] bool given(std::string_view path) const { return seen.find(path) != seen.end(); }
    /// Where `path` (a key, else a table) was written; {} when it was not.
    [[nodiscard]] text_pos where(std::string_view path) const;
    /// Throws config_error: "FILE:L:C: key 'KEY': MESSAGE".
    [[noreturn]] void fail(text_pos at, std::string_view key, const std::string& message) const;
    /// As fail(), at where(key).
    [[noreturn]] void fail_at(std::string_view key, const std::string& message) const {
        fail(where(key), key, message);
    }
};

/// Checks every member of `table` against the schema under `schema_prefix`
/// ("" for the document root) and stores it. `concrete_prefix` is the same
/// path with array indices ("sources[2]"), used in messages.
void walk_table(load_context& c, const toml_value& table, std::string_view schema_prefix,
                const std::string& concrete_prefix);

/// Rules between keys, defaults that depend on other keys, sink URIs and the
/// query file (validate.cpp).
void finalize(load_context& c);

/// Parses "host:port", "[v6addr]:port" or "name:port" into `out`; returns
/// what is wrong ("" when nothing is). Port 0 is accepted only when asked.
[[nodiscard]] std::string parse_endpoint(std::string_view text, bool port_zero_ok, endpoint& out);

/// TOML-ish quoting for messages: "\"text\"", control characters escaped,
/// long text shortened.
[[nodiscard]] std::string quote(std::string_view s);
/// How a value appears in a "found ..." clause: 0, a string "16", a table, ...
[[nodiscard]] std::string describe(const toml_value& v);

} // namespace shardgate::control::config_detail
