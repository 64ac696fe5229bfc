#include "tools/common/json.hpp"

#include <cmath>
#include <cstdio>

namespace shardgate::tools {

void json_writer::comma() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) out_ += ',';
        first_.back() = false;
    }
}

json_writer& json_writer::begin_object() {
    comma();
    out_ += '{';
    first_.push_back(true);
    return *this;
}
json_writer& json_writer::end_object() {
    out_ += '}';
    first_.pop_back();
    return *this;
}
json_writer& json_writer::begin_array() {
    comma();
    out_ += '[';
    first_.push_back(true);
    return *this;
}
json_writer& json_writer::end_array() {
    out_ += ']';
    first_.pop_back();
    return *this;
}
json_writer& json_writer::key(std::string_view k) {
    value(k);
    out_ += ':';
    after_key_ = true;
    return *this;
}
json_writer& json_writer::value(std::string_view s) {
    comma();
    out_ += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out_ += "\\\"";
            break;
        case '\\':
            out_ += "\\\\";
            break;
        case '\n':
            out_ += "\\n";
            break;
        case '\t':
            out_ += "\\t";
            break;
        case '\r':
            out_ += "\\r";
            break;
        default:
            if (c < 0x20 || c >= 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out_ += buf;
            } else {
                out_ += ch;
            }
        }
    }
    out_ += '"';
    return *this;
}
json_writer& json_writer::value(std::uint64_t v) {
    comma();
    out_ += std::to_string(v);
    return *this;
}
json_writer& json_writer::value(std::int64_t v) {
    comma();
    out_ += std::to_string(v);
    return *this;
}
json_writer& json_writer::value(double v) {
    if (!std::isfinite(v)) return null();
    comma();
    char buf[32];
    // Whole numbers for large figures (rates), so they read without exponents.
    std::snprintf(buf, sizeof buf, std::abs(v) >= 1e4 ? "%.0f" : "%.6g", v);
    out_ += buf;
    return *this;
}
json_writer& json_writer::value(bool v) {
    comma();
    out_ += v ? "true" : "false";
    return *this;
}
json_writer& json_writer::null() {
    comma();
    out_ += "null";
    return *this;
}

} // namespace shardgate::tools
