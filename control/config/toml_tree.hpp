#pragma once
// The parsed TOML document as the schema walks it: values with their line and
// column, tables in source order. toml++ is heavy to compile, so only
// toml_tree.cpp includes it; everything else sees this small tree.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shardgate::control::config_detail {

struct text_pos {
    std::uint32_t line = 0;   // 1-based; 0 = no place in the text
    std::uint32_t column = 0; // 1-based
};

struct toml_member;

struct toml_value {
    enum class kind : std::uint8_t { table, array, string, integer, floating, boolean, date_time };
    kind type = kind::table;
    text_pos pos;
    std::int64_t integer = 0;
    bool boolean = false;
    std::string text;                 // string: the value; floating, date_time: as TOML prints it
    std::vector<toml_value> items;    // array
    std::vector<toml_member> members; // table, in source order

    /// The member called `key`, or nullptr.
    [[nodiscard]] const toml_value* find(std::string_view key) const noexcept;
};

struct toml_member {
    std::string key;
    text_pos pos; // of the key
    toml_value value;
};

/// Parses `text`; a syntax error throws config_error naming `origin`, the
/// line and column and toml++'s description.
[[nodiscard]] toml_value parse_toml(std::string_view text, const std::string& origin);

} // namespace shardgate::control::config_detail
