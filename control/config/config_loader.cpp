#include "control/config/config_loader.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "control/config/schema.hpp"
#include "control/config/toml_tree.hpp"

namespace shardgate::control {
namespace {

std::string located(const std::string& file, std::uint32_t line, std::uint32_t column) {
    if (line == 0) return file + ": ";
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

std::uint32_t machine_cpus() noexcept {
    // Configured, not online: an offline CPU is still a valid id to pin to
    // once it comes back, and sched_setaffinity reports it if not.
    const long n = ::sysconf(_SC_NPROCESSORS_CONF);
    return n > 0 ? static_cast<std::uint32_t>(n) : 1;
}

config load(std::string_view text, const std::string& origin, const std::filesystem::path& base_dir,
            const load_options& options) {
    config cfg;
    cfg.path = origin;
    const config_detail::toml_value root = config_detail::parse_toml(text, origin);
    config_detail::load_context c{.cfg = cfg,
                                  .file = origin,
                                  .base_dir = base_dir,
                                  .cpu_count = options.cpu_count ? options.cpu_count : machine_cpus()};
    config_detail::walk_table(c, root, "", "");
    config_detail::finalize(c);
    return cfg;
}

} // namespace

config_error::config_error(std::string file, std::uint32_t line, std::uint32_t column, std::string key,
                           const std::string& message)
    : std::runtime_error(located(file, line, column) + message), file_(std::move(file)), line_(line),
      column_(column), key_(std::move(key)) {}

std::optional<std::string> read_whole_file(const std::string& path, std::string& why) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        why = "is a directory";
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;
        why = std::strerror(err ? err : ENOENT);
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        why = "read error";
        return std::nullopt;
    }
    return std::move(text).str();
}

config load_config_file(const std::string& path, const load_options& options) {
    std::string why;
    const auto text = read_whole_file(path, why);
    if (!text) throw config_error(path, 0, 0, "", "cannot read: " + why);
    return load(*text, path, std::filesystem::path(path).parent_path(), options);
}

config load_config_string(std::string_view toml, const std::string& origin_name,
                          const load_options& options) {
    return load(toml, origin_name, std::filesystem::path(origin_name).parent_path(), options);
}

} // namespace shardgate::control
