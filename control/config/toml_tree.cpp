// The one translation unit that includes toml++ (linked as the shared
// library, see tomlplusplus.pc): parse, then copy into the small tree the
// schema walks.
#include "control/config/toml_tree.hpp"

#include <algorithm>
#include <sstream>

#include <toml++/toml.h>

#include "control/config/config_loader.hpp"

namespace shardgate::control::config_detail {
namespace {

text_pos pos_of(const toml::source_region& r) noexcept { return {r.begin.line, r.begin.column}; }

bool before(const text_pos& a, const text_pos& b) noexcept {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
}

template <typename T>
std::string printed(const T& v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

toml_value convert(const toml::node& n) {
    toml_value out;
    out.pos = pos_of(n.source());
    switch (n.type()) {
    case toml::node_type::table: {
        out.type = toml_value::kind::table;
        for (auto&& [k, v] : *n.as_table())
            out.members.push_back({std::string(k.str()), pos_of(k.source()), convert(v)});
        // toml++ keeps keys sorted; the schema reports the first problem in
        // the order the file was written.
        std::stable_sort(out.members.begin(), out.members.end(),
                         [](const toml_member& a, const toml_member& b) { return before(a.pos, b.pos); });
        break;
    }
    case toml::node_type::array:
        out.type = toml_value::kind::array;
        for (const auto& e : *n.as_array()) out.items.push_back(convert(e));
        break;
    case toml::node_type::string:
        out.type = toml_value::kind::string;
        out.text = n.as_string()->get();
        break;
    case toml::node_type::integer:
        out.type = toml_value::kind::integer;
        out.integer = n.as_integer()->get();
        break;
    case toml::node_type::floating_point:
        out.type = toml_value::kind::floating;
        out.text = printed(*n.as_floating_point());
        break;
    case toml::node_type::boolean:
        out.type = toml_value::kind::boolean;
        out.boolean = n.as_boolean()->get();
        break;
    case toml::node_type::date:
        out.type = toml_value::kind::date_time;
        out.text = printed(*n.as_date());
        break;
    case toml::node_type::time:
        out.type = toml_value::kind::date_time;
        out.text = printed(*n.as_time());
        break;
    case toml::node_type::date_time:
        out.type = toml_value::kind::date_time;
        out.text = printed(*n.as_date_time());
        break;
    case toml::node_type::none:
        break;
    }
    return out;
}

} // namespace

const toml_value* toml_value::find(std::string_view key) const noexcept {
    for (const auto& m : members)
        if (m.key == key) return &m.value;
    return nullptr;
}

toml_value parse_toml(std::string_view text, const std::string& origin) {
    toml::table root;
    try {
        root = toml::parse(text, std::string_view(origin));
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        throw config_error(origin, b.line, b.column, "",
                           "TOML syntax error: " + std::string(e.description()));
    }
    toml_value out = convert(root);
    out.pos = {};
    return out;
}

} // namespace shardgate::control::config_detail
