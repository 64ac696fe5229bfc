#include "control/cli/setup.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "control/config/config_loader.hpp"
#include "control/plan/plan_error.hpp"
#include "control/sql/parse_error.hpp"

namespace shardgate::cli {

control::planner_inputs planner_inputs_from(const config& cfg) {
    control::planner_inputs in;
    in.partitions = cfg.router.partitions;
    if (cfg.router.strategy != strategy_kind::automatic) in.config_strategy = cfg.router.strategy;
    in.hash = cfg.router.hash;
    in.seed = cfg.router.seed;
    in.key_groups = cfg.router.key_groups;
    in.fan_in_target = cfg.router.fan_in_target;
    in.source = cfg.declared_source;
    in.per_source_order = cfg.router.per_source_order;
    return in;
}

std::vector<std::string_view> split_flag_values(std::span<const std::string_view> args) {
    std::vector<std::string_view> out;
    for (const std::string_view a : args) {
        const auto eq = a.find('=');
        if (a.starts_with("--") && eq != std::string_view::npos) {
            out.push_back(a.substr(0, eq));
            out.push_back(a.substr(eq + 1));
        } else {
            out.push_back(a);
        }
    }
    return out;
}

std::string read_text_file(const std::string& path) {
    if (path == "-") {
        std::ostringstream ss;
        ss << std::cin.rdbuf();
        if (std::cin.bad()) throw std::runtime_error("cannot read standard input");
        return ss.str();
    }
    std::string why;
    auto text = control::read_whole_file(path, why);
    if (!text) throw std::runtime_error("cannot read '" + path + "': " + why);
    return std::move(*text);
}

namespace {
/// A bad-input error that is not one of the typed ones (no query, unreadable query file).
struct input_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
} // namespace

loaded_setup load_and_plan(const std::string& config_path, const std::optional<std::string>& query_path) {
    loaded_setup s{control::load_config_file(config_path), {}};
    std::string origin = s.cfg.router.query_origin;
    if (query_path) {
        try {
            s.cfg.router.query_text = read_text_file(*query_path);
        } catch (const std::runtime_error& e) {
            throw input_error(e.what());
        }
        s.cfg.router.query_origin = origin = *query_path == "-" ? "<stdin>" : *query_path;
    }
    if (s.cfg.router.query_text.empty())
        throw input_error(config_path +
                          ": no query: set router.query_file or router.query, or pass --query FILE");
    try {
        s.the_plan = control::plan_query(s.cfg.router.query_text, planner_inputs_from(s.cfg));
    } catch (const sql::parse_error& e) {
        throw input_error("query " + origin + ": " + e.what());
    } catch (const control::plan_error& e) {
        throw input_error("query " + origin + ": " + e.what());
    }
    return s;
}

int guarded(const char* command, const std::function<int()>& body) {
    try {
        return body();
    } catch (const control::config_error& e) {
        std::fprintf(stderr, "shardgate %s: %s\n", command, e.what());
        return 2;
    } catch (const input_error& e) {
        std::fprintf(stderr, "shardgate %s: %s\n", command, e.what());
        return 2;
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "shardgate %s: %s\n", command, e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "shardgate %s: %s\n", command, e.what());
        return 1;
    }
}

} // namespace shardgate::cli
