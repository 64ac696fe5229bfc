#pragma once
/// A minimal JSON writer for the tools' one-line summaries.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shardgate::tools {

/// Builds compact JSON. Call order must form valid JSON (key before each
/// value inside an object); the writer inserts commas and escapes strings.
class json_writer {
public:
    json_writer& begin_object();
    json_writer& end_object();
    json_writer& begin_array();
    json_writer& end_array();
    json_writer& key(std::string_view k);
    json_writer& value(std::string_view s);
    json_writer& value(const char* s) { return value(std::string_view(s)); }
    json_writer& value(std::uint64_t v);
    json_writer& value(std::int64_t v);
    json_writer& value(std::uint32_t v) { return value(std::uint64_t{v}); }
    json_writer& value(int v) { return value(std::int64_t{v}); }
    json_writer& value(double v); ///< finite: 6 significant digits (>= 1e4: integral); else null
    json_writer& value(bool v);
    json_writer& null();

    [[nodiscard]] const std::string& str() const noexcept { return out_; }

private:
    void comma();
    std::string out_;
    std::vector<bool> first_; ///< per open container: no element written yet
    bool after_key_ = false;
};

} // namespace shardgate::tools
