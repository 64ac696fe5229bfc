#pragma once
/// Internal to dataplane/uring: the bases of the concrete sources and sinks
/// and their makers, called by the factories in uring.cpp. `what` is the
/// name used in error messages and name() ("sources[0] (udp 127.0.0.1:7000)").

#include <memory>
#include <string>

#include "dataplane/uring/ring.hpp"

namespace shardgate::detail {

class socket_source : public source {
public:
    [[nodiscard]] virtual std::uint16_t bound_port() const noexcept = 0;
    [[nodiscard]] virtual uring_source_status status() const noexcept = 0;
};

class status_sink : public sink {
public:
    [[nodiscard]] virtual uring_sink_status status() const noexcept = 0;
};

std::unique_ptr<socket_source> make_udp_source(uring_ring& ring, const source_config& cfg, std::string what);
std::unique_ptr<socket_source> make_tcp_source(uring_ring& ring, const source_config& cfg,
                                               const record_format& format, std::string what);

std::unique_ptr<status_sink> make_udp_sink(uring_ring& ring, const sink_config& cfg, std::string what);
std::unique_ptr<status_sink> make_tcp_sink(uring_ring& ring, const sink_config& cfg, std::string what);
std::unique_ptr<status_sink> make_file_sink(uring_ring& ring, const sink_config& cfg, std::string what);
std::unique_ptr<status_sink> make_null_sink(std::string what);

} // namespace shardgate::detail
