// Factories of io_uring contexts, sources and sinks: validation and names.

#include "dataplane/uring/uring.hpp"

#include <stdexcept>
#include <string>

#include "dataplane/uring/endpoints.hpp"

namespace shardgate {
namespace {

detail::uring_ring& ring_of(uring_context& ctx) {
    // Every uring_context is made by make_uring_context.
    return static_cast<detail::uring_ring&>(ctx);
}

std::string source_what(const source_config& cfg) {
    return (cfg.name.empty() ? std::string("source") : cfg.name) + " (" + std::string(to_string(cfg.kind)) +
           " " + cfg.bind.to_string() + ")";
}

std::string sink_what(const sink_config& cfg, std::uint32_t partition) {
    std::string where;
    if (!cfg.uri.empty())
        where = cfg.uri;
    else if (cfg.kind == sink_kind::file)
        where = "file://" + cfg.path;
    else if (cfg.kind == sink_kind::null)
        where = "null";
    else
        where = std::string(to_string(cfg.kind)) + "://" + cfg.destination.to_string();
    if (partition == dead_letter_partition) return "sinks.dead_letter (" + where + ")";
    return "sinks[" + std::to_string(partition) + "] (" + where + ")";
}

} // namespace

std::unique_ptr<uring_context> make_uring_context(unsigned entries) {
    uring_options o;
    o.entries = entries;
    return make_uring_context(o);
}

std::unique_ptr<uring_context> make_uring_context(const uring_options& options) {
    return std::make_unique<detail::uring_ring>(options);
}

std::unique_ptr<source> make_uring_source(uring_context& ctx, const source_config& cfg,
                                          const record_format& format) {
    std::string what = source_what(cfg);
    switch (cfg.kind) {
    case source_kind::udp:
        return detail::make_udp_source(ring_of(ctx), cfg, std::move(what));
    case source_kind::tcp:
        return detail::make_tcp_source(ring_of(ctx), cfg, format, std::move(what));
    case source_kind::dpdk:
        break;
    }
    throw std::invalid_argument(what + ": not an io_uring source (expected udp or tcp)");
}

std::unique_ptr<sink> make_uring_sink(uring_context& ctx, const sink_config& cfg, std::uint32_t partition) {
    std::string what = sink_what(cfg, partition);
    switch (cfg.kind) {
    case sink_kind::udp:
        return detail::make_udp_sink(ring_of(ctx), cfg, std::move(what));
    case sink_kind::tcp:
        return detail::make_tcp_sink(ring_of(ctx), cfg, std::move(what));
    case sink_kind::file:
        return detail::make_file_sink(ring_of(ctx), cfg, std::move(what));
    case sink_kind::null:
        return detail::make_null_sink(std::move(what));
    case sink_kind::dpdk:
        break;
    }
    throw std::invalid_argument(what + ": not an io_uring sink (expected udp, tcp, file or null)");
}

std::uint16_t uring_bound_port(const source& s) {
    if (const auto* u = dynamic_cast<const detail::socket_source*>(&s)) return u->bound_port();
    throw std::invalid_argument(std::string(s.name()) + ": not an io_uring socket source");
}

uring_source_status uring_status(const source& s) {
    if (const auto* u = dynamic_cast<const detail::socket_source*>(&s)) return u->status();
    throw std::invalid_argument(std::string(s.name()) + ": not an io_uring socket source");
}

uring_sink_status uring_status(const sink& s) {
    if (const auto* u = dynamic_cast<const detail::status_sink*>(&s)) return u->status();
    throw std::invalid_argument(std::string(s.name()) + ": not an io_uring sink");
}

} // namespace shardgate
