#include "tools/common/host.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace shardgate::tools {
namespace {

/// Without the blanks around it, a CR of a CRLF line ending among them.
std::string_view trim(std::string_view s) {
    constexpr std::string_view blanks = " \t\r";
    const auto first = s.find_first_not_of(blanks);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

bool has_word(std::string_view list, std::string_view word) {
    std::size_t at = 0;
    while (at < list.size()) {
        const auto end = std::min(list.find(' ', at), list.size());
        if (list.substr(at, end - at) == word) return true;
        at = end + 1;
    }
    return false;
}

} // namespace

std::string describe_cpu(std::string_view cpuinfo) {
    std::string model_name, vendor, family, model;
    bool hypervisor = false;
    unsigned processors = 0;
    std::size_t at = 0;
    while (at < cpuinfo.size()) {
        const auto end = std::min(cpuinfo.find('\n', at), cpuinfo.size());
        const std::string_view line = cpuinfo.substr(at, end - at);
        at = end + 1;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view key = trim(line.substr(0, colon));
        const std::string_view value = trim(line.substr(colon + 1));
        if (key == "processor") {
            ++processors;
            continue;
        }
        if (processors > 1) continue; // the first processor describes the rest
        if (key == "model name")
            model_name = value;
        else if (key == "vendor_id")
            vendor = value;
        else if (key == "cpu family")
            family = value;
        else if (key == "model")
            model = value;
        else if (key == "flags")
            hypervisor = has_word(value, "hypervisor");
    }
    std::string out = model_name.empty() ? "unknown CPU" : model_name;
    if (!vendor.empty() || !family.empty() || !model.empty()) {
        out += " (";
        out += vendor.empty() ? "unknown vendor" : vendor;
        if (!family.empty()) out += ", family " + family;
        if (!model.empty()) out += ", model " + model;
        out += ")";
    }
    out += ", " + std::to_string(processors) + (processors == 1 ? " processor" : " processors");
    if (hypervisor) out += ", under a hypervisor";
    return out;
}

std::string host_cpu() {
    std::ifstream in("/proc/cpuinfo");
    if (!in) return "unknown CPU (no /proc/cpuinfo)";
    std::ostringstream text;
    text << in.rdbuf();
    return describe_cpu(text.str());
}

} // namespace shardgate::tools
