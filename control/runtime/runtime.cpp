#include "control/runtime/runtime.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include "control/plan/plan_format.hpp"
#include "dataplane/decode/record_decoder.hpp"
#include "dataplane/pipeline/affinity.hpp"
#include "dataplane/pipeline/egress.hpp"
#include "dataplane/pipeline/idle.hpp"
#include "dataplane/pipeline/lane.hpp"
#include "dataplane/pipeline/relay.hpp"
#include "dataplane/pipeline/worker.hpp"
#include "dataplane/uring/uring.hpp"
#ifdef SHARDGATE_HAVE_DPDK
#include "dataplane/dpdk/dpdk.hpp"
#endif
#include "shardgate/smart_alignment.hpp"

namespace shardgate::control {
namespace {

using clock_type = std::chrono::steady_clock;

std::uint64_t now_ns() noexcept {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count());
}

enum class thread_state : int { starting, running, failed, done };

/// An idle dataplane or egress thread's wait of `us` microseconds: on its
/// io_uring when it has one (a completion ends the wait at once), else a
/// sleep (a thread with DPDK ports only).
void idle_wait(uring_context* ctx, unsigned us) noexcept {
    if (ctx)
        ctx->wait(us);
    else
        std::this_thread::sleep_for(std::chrono::microseconds(us));
}

/// The block size of a partition's lanes: a UDP sink sends one block per
/// datagram, so its blocks are datagram-sized; stream sinks take big blocks.
std::uint32_t block_bytes_for(const config& cfg, const sink_config& s) {
    switch (s.kind) {
    case sink_kind::udp:
        return cfg.datagram_bytes;
    case sink_kind::dpdk:
        return cfg.dpdk.payload_bytes;
    case sink_kind::tcp:
    case sink_kind::file:
    case sink_kind::null:
        break;
    }
    return cfg.router.stream_block_bytes;
}

std::string rate(double v) {
    char buf[32];
    if (v >= 1e9)
        std::snprintf(buf, sizeof buf, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
}

std::string ready_staging(const std::string& ready_file) { return ready_file + ".tmp"; }

/// Creates the ready file's staging file afresh: whatever has its name (a
/// leftover, or a symlink someone planted) is unlinked first, and the new
/// file is opened with O_EXCL | O_NOFOLLOW, so nothing else is written
/// through it. Returns the descriptor, or -1 with errno set.
int create_staging(const std::string& staging) noexcept {
    ::unlink(staging.c_str());
    return ::open(staging.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

std::string staging_error(const std::string& staging, const std::string& ready_file) {
    return "cannot write '" + staging + "' (the ready file '" + ready_file +
           "' is written there first): " + std::strerror(errno);
}

/// Writes `contents` to the staging file and renames it into place: the
/// ready file appears whole, at once.
void write_ready_file(const std::string& ready_file, const std::string& contents) {
    const std::string staging = ready_staging(ready_file);
    const int fd = create_staging(staging);
    if (fd < 0) throw std::runtime_error(staging_error(staging, ready_file));
    const bool written =
        ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size());
    const int write_errno = errno;
    ::close(fd);
    if (!written) {
        errno = write_errno;
        throw std::runtime_error(staging_error(staging, ready_file));
    }
    if (std::rename(staging.c_str(), ready_file.c_str()) != 0)
        throw std::runtime_error("cannot rename '" + staging + "' to the ready file '" + ready_file +
                                 "': " + std::strerror(errno));
}

} // namespace

void prepare_ready_file(const std::string& ready_file) {
    // unlink, not remove: remove() would take an empty directory away.
    if (::unlink(ready_file.c_str()) != 0 && errno != ENOENT)
        throw std::invalid_argument("cannot replace the ready file '" + ready_file +
                                    "': " + std::strerror(errno));
    const std::string staging = ready_staging(ready_file);
    const int fd = create_staging(staging);
    if (fd < 0) throw std::invalid_argument(staging_error(staging, ready_file));
    ::close(fd);
    ::unlink(staging.c_str());
}

bool snapshot::reconciled() const noexcept {
    return get(counter::records_in) == get(counter::records_out) + get(counter::drop_ring_full) +
                                           get(counter::drop_sink) + get(counter::drop_shutdown) +
                                           get(counter::records_rejected);
}

double snapshot::skew() const noexcept {
    if (per_partition.empty()) return 0;
    std::uint64_t total = 0, top = 0;
    for (auto v : per_partition) {
        total += v;
        top = std::max(top, v);
    }
    if (total == 0) return 0;
    return static_cast<double>(top) * static_cast<double>(per_partition.size()) / static_cast<double>(total);
}

struct runtime::impl {
    struct core {
        std::size_t index = 0;
        int cpu = -1;
        std::unique_ptr<numa_memory> memory;
        std::vector<std::unique_ptr<lane>> lanes; ///< one per partition
        std::unique_ptr<lane> dead;               ///< dead-letter lane, when configured
        counter_block counters;
        std::vector<std::size_t> sources; ///< indices into cfg.sources
        /// Per entry of `sources`: its relay when an egress thread polls it
        /// (dpdk.rx_on_egress), else null. The egress thread attaches the
        /// source before this core starts.
        std::vector<std::unique_ptr<source_relay>> relays;
        std::vector<std::uint16_t> ports; ///< bound port per entry of `sources`
        std::thread thread;
        std::atomic<thread_state> state{thread_state::starting};
        std::string error;
        // Reprogramming, in two phases so that the cores switch together or
        // not at all: the control thread posts a plan (owned by impl::plans);
        // the core builds its router and decoders for it, which may fail,
        // and acknowledges prepared_epoch or failed_epoch. Once every core
        // has prepared, the control thread sets commit_epoch and each core
        // puts what it built in force between two bursts, which cannot fail
        // (applied_epoch); if one failed, it sets abort_epoch and the others
        // discard theirs.
        std::atomic<const plan*> pending{nullptr};
        std::atomic<std::uint64_t> prepared_epoch{0};
        std::atomic<std::uint64_t> failed_epoch{0};
        std::atomic<std::uint64_t> commit_epoch{0};
        std::atomic<std::uint64_t> abort_epoch{0};
        std::atomic<std::uint64_t> applied_epoch{0};
        /// Why the core could not build a plan: written before failed_epoch
        /// is released. Fixed-size, so that reporting an allocation failure
        /// does not need to allocate.
        std::array<char, 256> reprogram_error{};
    };
    struct egress_thread {
        std::size_t index = 0;
        int cpu = -1;
        std::vector<std::uint32_t> partitions;
        bool dead_letter = false;
        counter_block counters;
        counter_block dead_counters;    ///< the dead-letter sink's deliveries are not records_out
        std::vector<const sink*> sinks; ///< per entry of `partitions`, valid once running
        const sink* dead_sink = nullptr;
        mutable std::mutex sinks_mutex;        ///< guards sinks/dead_sink against the thread's exit
        std::vector<std::uint64_t> final_sent; ///< counts after the sinks are gone
        std::vector<std::uint64_t> final_lost;
        std::uint64_t final_dead_sent = 0;
        std::thread thread;
        std::atomic<thread_state> state{thread_state::starting};
        std::string error;
    };

    config cfg;
    plan the_plan;
    /// Plans posted to the cores by reprogram(); a deque so that the
    /// pointers the cores hold stay valid. A few kilobytes each, kept to the end.
    std::deque<plan> plans;
    std::uint64_t last_epoch = 0; ///< the newest epoch posted (control thread)
#ifdef SHARDGATE_HAVE_DPDK
    /// Started on the control thread when the config has DPDK ports; must
    /// outlive every source and sink (destroyed after the threads are joined).
    std::unique_ptr<dpdk_environment> dpdk;
#endif
    /// Per egress thread: memory on its CPU's NUMA node, for what only that
    /// thread reads of the cores' lanes (lane::taken_data). Declared before
    /// `cores`, whose lanes give it back when they go.
    std::vector<std::unique_ptr<numa_memory>> egress_memory;
    std::vector<std::unique_ptr<core>> cores;
    std::vector<std::unique_ptr<egress_thread>> egresses;
    std::atomic<std::size_t> cores_done{0};
    clock_type::time_point started;
    std::atomic<bool>* stop = nullptr;
    std::uint32_t max_record_bytes = 0;
    /// Warnings of the runtime's own (set-up, DPDK's start), kept apart
    /// from the plan's: a reprogrammed plan carries them too.
    std::vector<std::string> own_warnings;
    void warn(std::string w) {
        the_plan.warnings.push_back(w);
        own_warnings.push_back(std::move(w));
    }

    void core_main(core& c, std::uint32_t drain_timeout_ms);

    /// A plan a core has built (its worker's program and the decoders it
    /// points to), waiting for the control thread's decision or for the
    /// core to be between bursts.
    struct built_plan {
        std::uint64_t epoch = 0;
        worker::program program;
        std::vector<std::unique_ptr<record_decoder>> decoders;
    };
    /// One step of a core's side of reprogram(), on the core: builds a
    /// posted plan into `staged` (any time: it does not touch the worker);
    /// moves it to `committed` or drops it once the control thread decides;
    /// installs `committed` when the worker is between bursts. A committed
    /// plan waits in its own slot, so a newer post that is later aborted
    /// cannot take its place.
    void reprogram_step(core& c, worker& w, std::vector<std::unique_ptr<record_decoder>>& decoders,
                        std::unique_ptr<built_plan>& staged, std::unique_ptr<built_plan>& committed) const;
    /// Fault injection for tests (runtime::set_prepare_hook).
    std::function<void(std::size_t, std::uint64_t)> prepare_hook;

    /// One decoder per distinct key set among the core's sources under plan
    /// `p` (kept in `store`); returns the decoder of each source, in order.
    std::vector<record_decoder*> make_decoders(const core& c, const plan& p,
                                               std::vector<std::unique_ptr<record_decoder>>& store) const {
        std::map<const std::vector<key_expr>*, record_decoder*> by_keys;
        std::vector<record_decoder*> out;
        for (std::size_t i : c.sources) {
            const auto* keys = &runtime::keys_for(p, cfg.sources[i]);
            auto& dec = by_keys[keys];
            if (!dec) {
                store.push_back(std::make_unique<record_decoder>(cfg.format, *keys, max_record_bytes));
                dec = store.back().get();
            }
            out.push_back(dec);
        }
        return out;
    }
    void egress_main(egress_thread& e, std::uint32_t drain_timeout_ms);
};

namespace {
/// Appends `w` to `warnings` unless it is there already.
void add_warning(std::vector<std::string>& warnings, std::string w) {
    if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(std::move(w));
}

#ifdef SHARDGATE_HAVE_DPDK
/// Rx queues a source polls, per DPDK port: what sources hold comes out of the pool.
std::vector<std::uint32_t> polled_rx_queues(const config& cfg) {
    std::vector<std::uint32_t> polled(cfg.dpdk.ports.size(), 0);
    for (const auto& src : cfg.sources)
        if (src.kind == source_kind::dpdk && src.dpdk_port < polled.size()) ++polled[src.dpdk_port];
    return polled;
}

/// What the mbuf pool must exceed with every DPDK port on one NUMA socket.
dpdk_pool_need pool_need_on_one_socket(const config& cfg) {
    std::vector<std::size_t> all(cfg.dpdk.ports.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    return dpdk_pool_need_of(cfg.dpdk, all, cfg.router.egress_cpus.size(), polled_rx_queues(cfg));
}
#endif
} // namespace

std::vector<std::string> runtime::validate(const config& cfg, const plan& p) {
    const routing_params& r = p.routing;
    std::vector<std::string> warnings;
    if (r.partitions != cfg.sinks.size())
        throw std::invalid_argument(
            "the query asks for " + std::to_string(r.partitions) +
            " partitions (its @num_partitions annotation or WITH 'num_partitions') but " +
            (cfg.path.empty() ? std::string("the config") : cfg.path) + " has " +
            std::to_string(cfg.sinks.size()) +
            " sinks (router.partitions): make them agree, or drop the query's setting");
    if (cfg.sources.empty()) throw std::invalid_argument("the config has no sources");
    if (cfg.router.dataplane_cpus.empty() || cfg.router.egress_cpus.empty())
        throw std::invalid_argument(
            "router.dataplane_cpus and router.egress_cpus need at least one CPU each");
#ifndef SHARDGATE_HAVE_DPDK
    for (const auto& s : cfg.sources)
        if (s.kind == source_kind::dpdk)
            throw std::invalid_argument(
                "source '" + s.name +
                "' is a DPDK port, but this build has no DPDK (configure with -Ddpdk=enabled)");
    for (const auto& s : cfg.sinks)
        if (s.kind == sink_kind::dpdk)
            throw std::invalid_argument(
                "sink '" + s.uri +
                "' is a DPDK port, but this build has no DPDK (configure with -Ddpdk=enabled)");
#endif
    for (const auto& s : cfg.sources)
        if (s.core >= cfg.router.dataplane_cpus.size())
            throw std::invalid_argument("source '" + s.name + "' is on core " + std::to_string(s.core) +
                                        " but router.dataplane_cpus has " +
                                        std::to_string(cfg.router.dataplane_cpus.size()));
    // A join routes each input by its own keys: a source's stream must name one
    // of the query's inputs, or it would silently be routed by another's keys.
    if (!p.per_source.empty())
        for (const auto& s : cfg.sources) {
            if (s.stream.empty()) continue;
            std::string names;
            bool found = false;
            for (const auto& side : p.per_source) {
                found = found || detail::iequals(side.source, s.stream) ||
                        (!side.alias.empty() && detail::iequals(side.alias, s.stream));
                names += (names.empty() ? "" : ", ") + side.source +
                         (side.alias.empty() ? "" : " (" + side.alias + ")");
            }
            if (!found)
                throw std::invalid_argument("source '" + s.name + "': stream '" + s.stream +
                                            "' is not an input of the query; expected one of: " + names);
        }
    // Check every source's keys against the format now, with a clear message,
    // rather than in a core thread.
    const std::uint32_t max_record = max_record_bytes(cfg);
    for (const auto& s : cfg.sources) {
        try {
            record_decoder probe(cfg.format, keys_for(p, s), max_record);
        } catch (const std::invalid_argument& e) {
            std::string fields;
            for (const auto& f : cfg.format.fields) fields += (fields.empty() ? "" : ", ") + f.name;
            throw std::invalid_argument(
                std::string("source '") + s.name + "': " + e.what() +
                (fields.empty() ? std::string() : " (" + cfg.path + " [format] declares: " + fields + ")"));
        }
    }
    // A sink that sends to one of the router's own sources loops records back in.
    for (const auto& sk : cfg.sinks)
        for (const auto& src : cfg.sources)
            if ((sk.kind == sink_kind::udp && src.kind == source_kind::udp) ||
                (sk.kind == sink_kind::tcp && src.kind == source_kind::tcp))
                if (src.bind.port != 0 && sk.destination.port == src.bind.port &&
                    (sk.destination.host == src.bind.host || src.bind.host == "0.0.0.0" ||
                     src.bind.host == "::"))
                    throw std::invalid_argument("sink " + sk.uri + " sends to source '" + src.name + "' (" +
                                                src.bind.to_string() +
                                                "): records would loop back into the router");
    {
        // Two partitions sent to one socket address cannot be told apart by the receiver.
        std::map<std::string, std::uint32_t> seen;
        for (std::uint32_t part = 0; part < cfg.sinks.size(); ++part) {
            const auto& sk = cfg.sinks[part];
            if (sk.kind != sink_kind::udp && sk.kind != sink_kind::tcp) continue;
            const auto [it, fresh] =
                seen.emplace(std::string(to_string(sk.kind)) + "://" + sk.destination.to_string(), part);
            if (!fresh) {
                warnings.push_back("partitions " + std::to_string(it->second) + " and " +
                                   std::to_string(part) + " both go to " + it->first +
                                   " (a sinks.uri without {p}?)");
                break;
            }
        }
    }
    const std::uint64_t lanes = lane_memory_bytes(cfg);
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && page > 0 && lanes > static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page))
        throw std::invalid_argument(
            "the lanes would take " + std::to_string(lanes >> 20) + " MiB, more than this machine's " +
            std::to_string((static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)) >> 20) +
            " MiB (router.ring_blocks x block size x partitions x dataplane cores): lower "
            "router.ring_blocks, sinks.datagram_bytes or router.stream_block_bytes");
    if (r.strategy == strategy_kind::smart_repartition)
        if (const auto why = smart_alignment_problem(r); !why.empty())
            warnings.push_back("smart_repartition cannot take its fast path (" + why +
                               "); it hashes every record");
    if (cfg.format.line_framed() && max_record < cfg.format.max_record_bytes)
        warnings.push_back(
            "records longer than " + std::to_string(max_record) +
            " bytes do not fit a sink's block (sinks.datagram_bytes / router.stream_block_bytes) "
            "and are rejected as oversized");
#ifdef SHARDGATE_HAVE_DPDK
    if (cfg.dpdk.used()) {
        // The mbuf pool sum start() does once the EAL has placed the ports,
        // done here with every port on one socket: exact on a one-node
        // machine (where 'check' then refuses what 'run' would, and 'run'
        // refuses before the EAL starts), an upper bound where ports may sit
        // on several nodes, each with its own pool, or where the node count
        // is unknown: there only a warning.
        const dpdk_pool_need need = pool_need_on_one_socket(cfg);
        const int nodes = numa_node_count();
        if (nodes == 1) {
            if (std::string e = dpdk_pool_shortfall(cfg.dpdk, "the ports on NUMA socket 0", need); !e.empty())
                throw std::invalid_argument(e);
        } else if (std::string e = dpdk_pool_shortfall(cfg.dpdk, "all the ports together", need);
                   !e.empty()) {
            warnings.push_back("if every port is on one NUMA socket (" +
                               (nodes
                                    ? "this machine has " + std::to_string(nodes) + " NUMA nodes"
                                    : std::string("the NUMA node count is unknown: /sys/devices/system/node "
                                                  "lists none")) +
                               "), " + e);
        }
    }
#endif
    return warnings;
}

std::string runtime::dpdk_pool_text(const config& cfg) {
#ifdef SHARDGATE_HAVE_DPDK
    if (!cfg.dpdk.used()) return {};
    // Lane blocks of DPDK sinks live in mbufs (zero-copy transmit) only
    // within the pool's spare, a whole lane at a time, reserved when the lane
    // first sends (dpdk_port::reserve_bound); the pool's mbufs are sized to
    // hold a block of payload_bytes with the headers in front.
    const std::uint64_t cores = cfg.router.dataplane_cpus.size();
    std::uint64_t lanes = 0;
    for (const auto& sk : cfg.sinks) lanes += sk.kind == sink_kind::dpdk ? cores : 0;
    if (cfg.dead_letter && cfg.dead_letter->kind == sink_kind::dpdk) lanes += cores;
    const std::uint64_t held = pool_need_on_one_socket(cfg).total();
    const std::uint64_t pool = cfg.dpdk.mempool_mbufs;
    const std::uint64_t spare = pool > held ? pool - 1 - held : 0;
    std::string out =
        std::to_string(pool) + " mbufs; ports, sources, transmit buffers and thread caches hold up to " +
        std::to_string(held) + (numa_node_count() == 1 ? "" : " (every port on one NUMA socket)");
    if (lanes == 0) return out;
    const std::uint64_t blocks = lanes * cfg.router.ring_blocks;
    const std::uint64_t fit = std::min<std::uint64_t>(lanes, spare / std::max(cfg.router.ring_blocks, 1u));
    out += ", " + std::to_string(spare) + " to spare for the " + std::to_string(blocks) + " blocks of the " +
           (lanes == 1 ? std::string("DPDK sinks' lane") : std::to_string(lanes) + " lanes of DPDK sinks") +
           ": ";
    if (fit == lanes) return out + "room for all to send zero-copy";
    return out + "room for " + std::to_string(fit) + " of the " + std::to_string(lanes) +
           " lanes to send zero-copy (the first to send; the others copy each frame; "
           "dpdk.mempool_mbufs >= " +
           std::to_string(held + 1 + blocks) + " makes room for all)";
#else
    (void)cfg;
    return {};
#endif
}

std::uint32_t runtime::max_record_bytes(const config& cfg) {
    // Largest record that fits every lane block (text records also carry '\n').
    std::uint32_t smallest = ~0u;
    for (const auto& s : cfg.sinks) smallest = std::min(smallest, block_bytes_for(cfg, s));
    const std::uint32_t newline = cfg.format.line_framed() ? 1 : 0;
    return std::min(cfg.format.max_record_bytes, smallest - newline);
}

const std::vector<key_expr>& runtime::keys_for(const plan& p, const source_config& s) {
    // Names match as SQL identifiers do: ignoring case.
    if (!p.per_source.empty() && !s.stream.empty())
        for (const auto& side : p.per_source)
            if (detail::iequals(side.source, s.stream) ||
                (!side.alias.empty() && detail::iequals(side.alias, s.stream)))
                return side.keys;
    return p.routing.keys;
}

void runtime::allocate_cores(impl& m, const config& cfg, const routing_params& r) {
    const auto& rc = cfg.router;
    for (const int cpu : rc.egress_cpus)
        m.egress_memory.push_back(std::make_unique<numa_memory>(numa_node_of(cpu)));
    // Partition p's lanes go to egress thread p % egress threads, the
    // dead-letter lanes to egress thread 0 (see the egress threads below).
    const auto egress_memory = [&](std::uint32_t p) {
        return m.egress_memory[p % m.egress_memory.size()].get();
    };
    for (std::size_t c = 0; c < rc.dataplane_cpus.size(); ++c) {
        auto k = std::make_unique<impl::core>();
        k->index = c;
        k->cpu = rc.dataplane_cpus[c];
        k->memory = std::make_unique<numa_memory>(numa_node_of(k->cpu));
        for (std::uint32_t p = 0; p < r.partitions; ++p)
            k->lanes.push_back(std::make_unique<lane>(rc.ring_blocks, block_bytes_for(cfg, cfg.sinks[p]),
                                                      k->memory.get(), egress_memory(p)));
        if (cfg.dead_letter)
            k->dead = std::make_unique<lane>(rc.ring_blocks, block_bytes_for(cfg, *cfg.dead_letter),
                                             k->memory.get(), egress_memory(0));
        m.cores.push_back(std::move(k));
    }
}

std::uint64_t runtime::lane_memory_bytes(const config& cfg) {
    std::uint64_t per_core = 0;
    auto lane_bytes = [&](const sink_config& s) {
        return std::uint64_t{cfg.router.ring_blocks} * (block_bytes_for(cfg, s) + lane::slack);
    };
    for (const auto& s : cfg.sinks) per_core += lane_bytes(s);
    if (cfg.dead_letter) per_core += lane_bytes(*cfg.dead_letter);
    return per_core * cfg.router.dataplane_cpus.size();
}

std::uint64_t runtime::decoder_memory_bytes(const config& cfg, const plan& p) {
    const auto in_use = [] {
        const struct mallinfo2 m = mallinfo2();
        return std::uint64_t{m.uordblks} + std::uint64_t{m.hblkhd}; // small chunks + mmapped ones
    };
    const std::uint32_t max_record = max_record_bytes(cfg);
    std::vector<std::unique_ptr<record_decoder>> decoders;
    decoders.reserve(cfg.sources.size());
    const std::uint64_t before = in_use();
    for (const auto& s : cfg.sources)
        decoders.push_back(std::make_unique<record_decoder>(cfg.format, keys_for(p, s), max_record));
    const std::uint64_t after = in_use();
    return after > before ? after - before : 0;
}

runtime::runtime(const config& cfg, const plan& the_plan) : impl_(std::make_unique<impl>()) {
    impl& m = *impl_;
    m.cfg = cfg;
    m.the_plan = the_plan;
    for (auto& w : validate(cfg, the_plan)) add_warning(m.the_plan.warnings, std::move(w));
    m.max_record_bytes = max_record_bytes(cfg);
    const routing_params& r = the_plan.routing;
    const auto& rc = cfg.router;
    try {
        allocate_cores(m, cfg, r);
    } catch (const std::bad_alloc&) {
        throw std::runtime_error(
            "cannot allocate " + std::to_string(lane_memory_bytes(cfg) >> 20) +
            " MiB of lanes (router.ring_blocks x block size x partitions x dataplane cores; "
            "block size = sinks.datagram_bytes, router.stream_block_bytes or "
            "dpdk.payload_bytes): lower router.ring_blocks or the block sizes");
    }
    bool relaying = false;
    for (std::size_t i = 0; i < cfg.sources.size(); ++i) {
        impl::core& c = *m.cores[cfg.sources[i].core];
        c.sources.push_back(i);
        const bool relayed = cfg.dpdk.rx_on_egress && cfg.sources[i].kind == source_kind::dpdk;
        c.relays.push_back(relayed ? std::make_unique<source_relay>(relay_depth, c.memory.get()) : nullptr);
        relaying = relaying || relayed;
    }
    if (cfg.dpdk.rx_on_egress && !relaying)
        m.warn("dpdk.rx_on_egress is set but no source is a DPDK port: every core polls its own sources");
    for (std::size_t e = 0; e < rc.egress_cpus.size(); ++e) {
        auto x = std::make_unique<impl::egress_thread>();
        x->index = e;
        x->cpu = rc.egress_cpus[e];
        x->dead_letter = e == 0 && cfg.dead_letter.has_value();
        m.egresses.push_back(std::move(x));
    }
    for (std::uint32_t p = 0; p < r.partitions; ++p)
        m.egresses[p % m.egresses.size()]->partitions.push_back(p);
}

runtime::~runtime() {
    request_stop();
    for (auto& c : impl_->cores)
        if (c->thread.joinable()) c->thread.join();
    for (auto& e : impl_->egresses)
        if (e->thread.joinable()) e->thread.join();
}

void runtime::impl::core_main(core& c, std::uint32_t drain_timeout_ms) {
    std::unique_ptr<uring_context> ctx;
    std::vector<std::unique_ptr<record_decoder>> decoders;
    std::unique_ptr<worker> w;
    std::unique_ptr<built_plan> staged, committed; // see reprogram_step
    try {
        pin_current_thread(c.cpu, "dataplane core " + std::to_string(c.index));
#ifdef SHARDGATE_HAVE_DPDK
        if (dpdk) dpdk->register_thread();
#endif
        std::vector<worker_input> inputs;
        for (std::size_t k = 0; k < c.sources.size(); ++k) {
            const source_config& sc = cfg.sources[c.sources[k]];
            std::unique_ptr<source> src;
            if (c.relays[k]) {
                src = c.relays[k]->consumer();
                c.ports.push_back(0);
            } else if (sc.kind == source_kind::dpdk) {
#ifdef SHARDGATE_HAVE_DPDK
                src = dpdk->make_source(sc);
#endif
                c.ports.push_back(0);
            } else {
                if (!ctx) ctx = make_uring_context(256);
                src = make_uring_source(*ctx, sc, cfg.format);
                c.ports.push_back(uring_bound_port(*src));
            }
            inputs.push_back({std::move(src), nullptr});
        }
        const auto decs = make_decoders(c, the_plan, decoders);
        for (std::size_t k = 0; k < inputs.size(); ++k) inputs[k].decoder = decs[k];
        worker_options o;
        o.burst_size = cfg.router.burst_size;
        o.drain_deadline_ns = std::uint64_t{cfg.router.drain_deadline_us} * 1000;
        o.policy = cfg.router.backpressure;
        o.line_framed = cfg.format.line_framed();
        std::vector<lane*> lanes;
        for (auto& l : c.lanes) lanes.push_back(l.get());
        w = std::make_unique<worker>(o, the_plan.routing, std::move(inputs), std::move(lanes), c.dead.get(),
                                     c.counters);
    } catch (const std::exception& e) {
        c.error = "dataplane core " + std::to_string(c.index) + ": " + e.what();
        w.reset();
        decoders.clear();
        ctx.reset();
        c.state.store(thread_state::failed, std::memory_order_release);
        cores_done.fetch_add(1, std::memory_order_acq_rel);
        return;
    }
    c.state.store(thread_state::running, std::memory_order_release);

    idle_policy idle(cfg.router.idle_spins, cfg.router.idle_sleep_us);
    auto wait = [&](unsigned us) { idle_wait(ctx.get(), us); };
    bool stopping = false;
    std::uint64_t stop_at = 0;
    while (true) {
        if (ctx) ctx->poll();
        if (c.pending.load(std::memory_order_relaxed) || staged || committed) [[unlikely]]
            reprogram_step(c, *w, decoders, staged, committed);
        const std::uint64_t now = now_ns();
        const std::size_t work = w->poll(now);
        if (!stopping && stop->load(std::memory_order_acquire)) {
            stopping = true;
            stop_at = now;
            w->stop_sources();
        }
        if (stopping) {
            if (w->drained()) break;
            if (now - stop_at > std::uint64_t{drain_timeout_ms} * 1'000'000) {
                w->abandon();
                break;
            }
        }
        idle.after(work, wait, w->blocked());
    }
    w->flush_all();
    // Sources and their io_uring go before anything else; lanes stay (egress drains them).
    w.reset();
    decoders.clear();
    ctx.reset();
#ifdef SHARDGATE_HAVE_DPDK
    if (dpdk) dpdk->unregister_thread();
#endif
    c.state.store(thread_state::done, std::memory_order_release);
    cores_done.fetch_add(1, std::memory_order_acq_rel);
}

void runtime::impl::reprogram_step(core& c, worker& w, std::vector<std::unique_ptr<record_decoder>>& decoders,
                                   std::unique_ptr<built_plan>& staged,
                                   std::unique_ptr<built_plan>& committed) const {
    const auto decided = [&] {
        if (!staged) return;
        if (c.commit_epoch.load(std::memory_order_acquire) == staged->epoch)
            committed = std::move(staged); // replaces an older one not yet installed: this one is newer
        else if (c.abort_epoch.load(std::memory_order_acquire) == staged->epoch)
            staged.reset();
    };
    decided(); // before a newer post takes the slot
    // exchange: a plan posted meanwhile is not lost. Building is the control
    // path, so it may allocate.
    if (const plan* next = c.pending.exchange(nullptr, std::memory_order_acq_rel)) {
        // The decision on the staged plan was stored before this post (the
        // control thread decides before it returns): seen now for certain,
        // even if this core read the epochs above before it was made.
        decided();
        staged.reset(); // every post is decided before the next: only defensive
        try {
            if (prepare_hook) prepare_hook(c.index, next->epoch);
            std::vector<std::unique_ptr<record_decoder>> fresh;
            std::vector<record_decoder*> used = make_decoders(c, *next, fresh);
            staged = std::make_unique<built_plan>(
                built_plan{next->epoch, w.prepare(next->routing, std::move(used)), std::move(fresh)});
            c.prepared_epoch.store(next->epoch, std::memory_order_release);
        } catch (const std::exception& e) {
            // Published by the release below.
            std::snprintf(c.reprogram_error.data(), c.reprogram_error.size(), "%s", e.what());
            c.failed_epoch.store(next->epoch, std::memory_order_release);
        }
    }
    if (committed && w.between_bursts()) {
        w.install(std::move(committed->program));
        decoders = std::move(committed->decoders);
        c.applied_epoch.store(committed->epoch, std::memory_order_release);
        committed.reset();
    }
}

void runtime::impl::egress_main(egress_thread& x, std::uint32_t drain_timeout_ms) {
    std::unique_ptr<uring_context> ctx;
    std::unique_ptr<egress> out, dead;
    try {
        pin_current_thread(x.cpu, "egress thread " + std::to_string(x.index));
#ifdef SHARDGATE_HAVE_DPDK
        if (dpdk) dpdk->register_thread();
#endif
        auto make_sink = [&](const sink_config& sc, std::uint32_t partition) -> std::unique_ptr<sink> {
#ifdef SHARDGATE_HAVE_DPDK
            if (sc.kind == sink_kind::dpdk) return dpdk->make_sink(sc, partition, x.index);
#endif
            if (!ctx) ctx = make_uring_context(256);
            return make_uring_sink(*ctx, sc, partition);
        };
        std::vector<egress_partition> parts;
        for (const std::uint32_t p : x.partitions) {
            egress_partition ep;
            for (auto& c : cores) ep.lanes.push_back(c->lanes[p].get());
            ep.out = make_sink(cfg.sinks[p], p);
            x.sinks.push_back(ep.out.get());
            parts.push_back(std::move(ep));
        }
        // The relayed sources of the cores this thread polls for, made here:
        // the thread that polls a DPDK queue makes its source.
        std::vector<source_relay*> relays;
        for (auto& c : cores) {
            if (c->index % egresses.size() != x.index) continue;
            for (std::size_t k = 0; k < c->sources.size(); ++k) {
                if (!c->relays[k]) continue;
#ifdef SHARDGATE_HAVE_DPDK
                c->relays[k]->attach(dpdk->make_source(cfg.sources[c->sources[k]]));
#endif
                relays.push_back(c->relays[k].get());
            }
        }
        out = std::make_unique<egress>(std::move(parts), x.counters, std::move(relays));
        if (x.dead_letter) {
            egress_partition ep;
            for (auto& c : cores) ep.lanes.push_back(c->dead.get());
            ep.out = make_sink(*cfg.dead_letter, dead_letter_partition);
            x.dead_sink = ep.out.get();
            std::vector<egress_partition> one;
            one.push_back(std::move(ep));
            dead = std::make_unique<egress>(std::move(one), x.dead_counters);
        }
    } catch (const std::exception& e) {
        x.error = "egress thread " + std::to_string(x.index) + ": " + e.what();
        x.sinks.clear();
        x.dead_sink = nullptr;
        out.reset();
        dead.reset();
        ctx.reset();
        x.state.store(thread_state::failed, std::memory_order_release);
        return;
    }
    x.state.store(thread_state::running, std::memory_order_release);

    idle_policy idle(cfg.router.idle_spins, cfg.router.idle_sleep_us);
    auto wait = [&](unsigned us) { idle_wait(ctx.get(), us); };
    // One deadline for the whole stop, counted from when the stop is seen
    // (the cores count theirs from the same moment).
    std::uint64_t deadline = 0;
    bool timed_out = false;
    while (true) {
        if (ctx) ctx->poll();
        std::size_t work = out->poll();
        if (dead) work += dead->poll();
        if (!deadline && stop->load(std::memory_order_acquire))
            deadline = now_ns() + std::uint64_t{drain_timeout_ms} * 1'000'000;
        if (cores_done.load(std::memory_order_acquire) == cores.size()) {
            // Every core has flushed its last block: drain, then leave.
            if (out->idle() && (!dead || dead->idle())) break;
            if (deadline && now_ns() > deadline) {
                timed_out = true;
                break;
            }
        }
        idle.after(work, wait, work == 0 && (!out->idle() || (dead && !dead->idle())));
    }
    if (timed_out) {
        // Destinations that never came back: what is still held is counted,
        // not silently left behind, and nobody waits for them any longer.
        out->abandon(counter::drop_shutdown, x.counters);
        if (dead) dead->abandon(counter::dead_letter_dropped, x.counters);
    } else {
        out->close();
        if (dead) dead->close();
    }
    {
        // Snapshots read the sinks' counts; keep the last ones and let go of
        // the sinks here, on the thread that owns their io_uring.
        std::lock_guard lock(x.sinks_mutex);
        x.final_sent.clear();
        x.final_lost.clear();
        for (const sink* s : x.sinks) {
            x.final_sent.push_back(s->records_sent());
            x.final_lost.push_back(s->records_dropped());
        }
        x.final_dead_sent = x.dead_sink ? x.dead_sink->records_sent() : 0;
        x.sinks.clear();
        x.dead_sink = nullptr;
    }
    out.reset();
    dead.reset();
    ctx.reset();
#ifdef SHARDGATE_HAVE_DPDK
    if (dpdk) dpdk->unregister_thread();
#endif
    x.state.store(thread_state::done, std::memory_order_release);
}

void runtime::start(const std::atomic<bool>* interrupt) {
    impl& m = *impl_;
    m.stop = &stop_;
#ifdef SHARDGATE_HAVE_DPDK
    bool uses_dpdk = m.cfg.dpdk.used();
    for (const auto& src : m.cfg.sources) uses_dpdk = uses_dpdk || src.kind == source_kind::dpdk;
    for (const auto& snk : m.cfg.sinks) uses_dpdk = uses_dpdk || snk.kind == sink_kind::dpdk;
    if (uses_dpdk && !m.dpdk) {
        m.dpdk = dpdk_environment::start(m.cfg.dpdk, m.egresses.size(), polled_rx_queues(m.cfg));
        for (const auto& w : m.dpdk->warnings()) m.warn("dpdk: " + w);
    }
#endif
    m.started = clock_type::now();
    auto interrupted = [&] { return interrupt && interrupt->load(std::memory_order_acquire); };
    // Waits until every thread of `list` is past its setup; false when the
    // caller was interrupted first (a thread may be stuck in a blocking open).
    auto wait_all = [&](auto& list) {
        for (auto& t : list)
            while (t->thread.joinable() &&
                   t->state.load(std::memory_order_acquire) == thread_state::starting) {
                if (interrupted()) return false;
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        return true;
    };
    auto first_error = [](auto& list) -> std::string {
        for (auto& t : list)
            if (t->state.load(std::memory_order_acquire) == thread_state::failed) return t->error;
        return {};
    };
    auto fail = [&](const std::string& err) {
        request_stop();
        join();
        throw std::runtime_error(err);
    };
    // Egress first: a sink that cannot be made (file path, ...) fails before
    // any source starts taking traffic.
    try {
        for (auto& e : m.egresses) {
            auto* x = e.get();
            x->thread = std::thread([this, x] { impl_->egress_main(*x, drain_timeout_ms_); });
        }
    } catch (const std::system_error& e) {
        m.cores_done.store(m.cores.size(), std::memory_order_release); // no core will run
        fail(std::string("cannot start an egress thread: ") + e.what());
    }
    const bool egress_up = wait_all(m.egresses);
    std::string err = egress_up ? first_error(m.egresses) : "interrupted while starting the egress threads";
    if (!err.empty()) {
        m.cores_done.store(m.cores.size(), std::memory_order_release); // no core will run
        fail(err);
    }
    std::size_t started = 0;
    try {
        for (auto& c : m.cores) {
            auto* k = c.get();
            k->thread = std::thread([this, k] { impl_->core_main(*k, drain_timeout_ms_); });
            ++started;
        }
    } catch (const std::system_error& e) {
        // Cores never started count as done, or egress would wait for them forever.
        m.cores_done.fetch_add(m.cores.size() - started, std::memory_order_acq_rel);
        fail(std::string("cannot start a dataplane thread: ") + e.what());
    }
    err = wait_all(m.cores) ? first_error(m.cores) : "interrupted while starting the dataplane threads";
    if (!err.empty()) fail(err);
}

void runtime::join() {
    for (auto& c : impl_->cores)
        if (c->thread.joinable()) c->thread.join();
    for (auto& e : impl_->egresses)
        if (e->thread.joinable()) e->thread.join();
}

bool runtime::finished() const noexcept {
    for (auto& c : impl_->cores)
        if (c->state.load(std::memory_order_acquire) == thread_state::running) return false;
    for (auto& e : impl_->egresses)
        if (e->state.load(std::memory_order_acquire) == thread_state::running) return false;
    return true;
}

std::uint16_t runtime::source_port(std::size_t i) const {
    for (auto& c : impl_->cores)
        for (std::size_t k = 0; k < c->sources.size(); ++k)
            if (c->sources[k] == i && k < c->ports.size()) return c->ports[k];
    throw std::out_of_range("no bound source " + std::to_string(i));
}

snapshot runtime::take_snapshot() const {
    const impl& m = *impl_;
    snapshot s;
    s.seconds = std::chrono::duration<double>(clock_type::now() - m.started).count();
    for (std::size_t k = 0; k < counter_count; ++k) {
        const auto c = static_cast<counter>(k);
        std::uint64_t v = 0;
        for (auto& core : m.cores) v += core->counters.get(c);
        for (auto& e : m.egresses) v += e->counters.get(c);
        s.counters[k] = v;
    }
    for (auto& core : m.cores) s.core_epochs.push_back(core->applied_epoch.load(std::memory_order_acquire));
    s.per_partition.assign(m.the_plan.routing.partitions, 0);
    s.per_partition_lost.assign(m.the_plan.routing.partitions, 0);
    for (auto& e : m.egresses) {
        std::lock_guard lock(e->sinks_mutex);
        for (std::size_t i = 0; i < e->partitions.size(); ++i) {
            const std::uint32_t part = e->partitions[i];
            if (i < e->sinks.size()) {
                s.per_partition[part] = e->sinks[i]->records_sent();
                s.per_partition_lost[part] = e->sinks[i]->records_dropped();
            } else if (i < e->final_sent.size()) {
                s.per_partition[part] = e->final_sent[i];
                s.per_partition_lost[part] = e->final_lost[i];
            }
        }
        if (e->dead_letter)
            s.dead_letter_out = e->dead_sink ? e->dead_sink->records_sent() : e->final_dead_sent;
    }
    return s;
}

std::string runtime::stats_line(const snapshot& now, const snapshot& prev) {
    const double dt = std::max(now.seconds - prev.seconds, 1e-9);
    auto d = [&](counter c) { return static_cast<double>(now.get(c) - prev.get(c)); };
    const std::uint64_t malformed =
        now.get(counter::malformed_truncated) + now.get(counter::malformed_syntax) +
        now.get(counter::malformed_missing_key) + now.get(counter::malformed_bad_key_value) +
        now.get(counter::malformed_oversized);
    char buf[512];
    std::snprintf(
        buf, sizeof buf,
        "[%7.1fs] in %s rec/s  out %s rec/s  (%.1f MB/s)  total in %" PRIu64 " out %" PRIu64
        "  drops ring %" PRIu64 " kernel %" PRIu64 " sink %" PRIu64 "  malformed %" PRIu64 " (trunc %" PRIu64
        " syntax %" PRIu64 " key %" PRIu64 " value %" PRIu64 " big %" PRIu64 ") bad-src %" PRIu64
        "  skew %.2f",
        now.seconds, rate(d(counter::records_in) / dt).c_str(), rate(d(counter::records_out) / dt).c_str(),
        d(counter::bytes_out) / dt / 1e6, now.get(counter::records_in), now.get(counter::records_out),
        now.get(counter::drop_ring_full), now.get(counter::drop_rx_kernel), now.get(counter::drop_sink),
        malformed, now.get(counter::malformed_truncated), now.get(counter::malformed_syntax),
        now.get(counter::malformed_missing_key), now.get(counter::malformed_bad_key_value),
        now.get(counter::malformed_oversized), now.get(counter::bad_source_partition), now.skew());
    return buf;
}

std::string runtime::summary_json(const snapshot& s) const {
    const impl& m = *impl_;
    std::ostringstream o;
    std::string plan_json = format_plan_json(m.the_plan);
    while (!plan_json.empty() && (plan_json.back() == '\n' || plan_json.back() == ' ')) plan_json.pop_back();
    o << "{\"plan\":" << plan_json;
    o << ",\"seconds\":" << s.seconds;
    const double secs = std::max(s.seconds, 1e-9);
    o << ",\"records_in\":" << s.get(counter::records_in)
      << ",\"records_out\":" << s.get(counter::records_out);
    o << ",\"records_per_second_in\":"
      << std::llround(static_cast<double>(s.get(counter::records_in)) / secs);
    o << ",\"records_per_second_out\":"
      << std::llround(static_cast<double>(s.get(counter::records_out)) / secs);
    o << ",\"reconciled\":" << (s.reconciled() ? "true" : "false");
    o << ",\"skew\":" << s.skew();
    o << ",\"partitions\":[";
    for (std::size_t p = 0; p < s.per_partition.size(); ++p) o << (p ? "," : "") << s.per_partition[p];
    o << "],\"partition_sink_drops\":[";
    for (std::size_t p = 0; p < s.per_partition_lost.size(); ++p)
        o << (p ? "," : "") << s.per_partition_lost[p];
    o << "],\"dead_letter_out\":" << s.dead_letter_out;
    o << ",\"core_plan_epochs\":[";
    for (std::size_t c = 0; c < s.core_epochs.size(); ++c) o << (c ? "," : "") << s.core_epochs[c];
    o << "]";
    o << ",\"counters\":{";
    for (std::size_t k = 0; k < counter_count; ++k)
        o << (k ? "," : "") << "\"" << counter_infos[k].name << "\":" << s.counters[k];
    o << "},\"sources\":[";
    for (std::size_t i = 0; i < m.cfg.sources.size(); ++i) {
        const auto& src = m.cfg.sources[i];
        o << (i ? "," : "") << "{\"name\":" << json_string(src.name) << ",\"kind\":\"" << to_string(src.kind)
          << "\",\"bind\":" << json_string(src.bind.to_string()) << "}";
    }
    o << "],\"sinks\":[";
    for (std::size_t p = 0; p < m.cfg.sinks.size(); ++p)
        o << (p ? "," : "") << json_string(m.cfg.sinks[p].uri);
    o << "]}";
    return o.str();
}

runtime::reprogram_result runtime::reprogram(plan next, std::chrono::milliseconds timeout) {
    impl& m = *impl_;
    if (next.routing.partitions != m.the_plan.routing.partitions)
        throw std::invalid_argument("the new plan routes to " + std::to_string(next.routing.partitions) +
                                    " partitions, the running router to " +
                                    std::to_string(m.the_plan.routing.partitions) +
                                    ": changing N needs a restart (each partition has its sink)");
    for (auto& w : validate(m.cfg, next)) add_warning(next.warnings, std::move(w));
    for (const auto& w : m.own_warnings) add_warning(next.warnings, w);
    // Epochs only grow, whatever became of earlier posts.
    next.epoch = ++m.last_epoch;
    m.plans.push_back(next);
    const plan* posted = &m.plans.back();
    const auto running = [](const impl::core& c) {
        return c.state.load(std::memory_order_acquire) == thread_state::running;
    };
    std::vector<impl::core*> taking; // the cores that route, and so must all switch or none
    for (auto& c : m.cores)
        if (running(*c)) {
            c->pending.store(posted, std::memory_order_release);
            taking.push_back(c.get());
        }
    const auto deadline = clock_type::now() + timeout;
    // Phase 1: every core builds the plan; none routes with it yet.
    std::string refused;
    for (impl::core* c : taking) {
        while (running(*c) && c->prepared_epoch.load(std::memory_order_acquire) < next.epoch) {
            if (c->failed_epoch.load(std::memory_order_acquire) == next.epoch) {
                refused = "dataplane core " + std::to_string(c->index) +
                          " could not build the new plan: " + c->reprogram_error.data();
                break;
            }
            if (clock_type::now() >= deadline) {
                refused = "dataplane core " + std::to_string(c->index) +
                          " did not build the new plan within " + std::to_string(timeout.count()) + " ms";
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (!refused.empty()) break;
    }
    if (!refused.empty()) {
        for (impl::core* c : taking) c->abort_epoch.store(next.epoch, std::memory_order_release);
        throw std::runtime_error(refused + "; every core keeps the previous plan");
    }
    // Phase 2: every core puts it in force between two bursts, which cannot fail.
    for (impl::core* c : taking) c->commit_epoch.store(next.epoch, std::memory_order_release);
    reprogram_result r{next.epoch, 0};
    for (impl::core* c : taking) {
        while (running(*c) && c->applied_epoch.load(std::memory_order_acquire) < next.epoch) {
            if (clock_type::now() >= deadline) {
                ++r.cores_pending; // held by backpressure: it applies the plan when its burst is out
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    // The plan is in force, or will be as soon as the held cores are between bursts.
    m.the_plan = std::move(next);
    return r;
}

void runtime::set_prepare_hook(std::function<void(std::size_t, std::uint64_t)> hook) {
    impl_->prepare_hook = std::move(hook);
}

const plan& runtime::current_plan() const noexcept { return impl_->the_plan; }

int runtime::run(const run_options& options, const std::atomic<bool>& stop) {
    drain_timeout_ms_ = options.drain_timeout_ms;
    const impl& m = *impl_;
    // What start finds (a DPDK port without RSS, a link still down): the
    // plan the caller printed before could not show it, so it is printed
    // here, labelled as in format_plan_text, also when start then fails.
    const std::size_t warned = m.own_warnings.size();
    const auto print_new_warnings = [&] {
        for (std::size_t i = warned; i < m.own_warnings.size(); ++i)
            std::fprintf(options.out, "warning:    %s\n", m.own_warnings[i].c_str());
        std::fflush(options.out);
    };
    try {
        start(&stop);
    } catch (...) {
        print_new_warnings();
        throw;
    }
    print_new_warnings();
    if (!options.ready_file.empty()) {
        // Scripts wait for this file before sending: every socket is bound.
        std::string ports;
        for (std::size_t i = 0; i < m.cfg.sources.size(); ++i) ports += std::to_string(source_port(i)) + "\n";
        write_ready_file(options.ready_file, ports);
    }
    const auto interval =
        std::chrono::milliseconds(m.cfg.router.stats_interval_ms ? m.cfg.router.stats_interval_ms : 1000);
    snapshot prev = take_snapshot();
    auto next = clock_type::now() + interval;
    const auto deadline = options.duration_s > 0
                              ? m.started + std::chrono::duration_cast<clock_type::duration>(
                                                std::chrono::duration<double>(options.duration_s))
                              : clock_type::time_point::max();
    while (!stop.load(std::memory_order_acquire) && clock_type::now() < deadline && !finished()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (options.reload_requested && options.reload &&
            options.reload_requested->exchange(false, std::memory_order_acq_rel)) {
            try {
                const reprogram_result r = reprogram(options.reload());
                if (r.cores_pending == 0)
                    std::fprintf(options.out,
                                 "reprogrammed: every core routes with plan epoch %llu from its next burst\n",
                                 static_cast<unsigned long long>(r.epoch));
                else
                    std::fprintf(options.out,
                                 "reprogrammed: plan epoch %llu posted; %zu core(s) still hold a burst back "
                                 "(backpressure) and apply it once it is out\n",
                                 static_cast<unsigned long long>(r.epoch), r.cores_pending);
                std::fprintf(options.out, "%s", format_plan_text(m.the_plan).c_str());
            } catch (const std::exception& e) {
                std::fprintf(stderr,
                             "shardgate run: reload refused, still routing with plan epoch %llu: %s\n",
                             static_cast<unsigned long long>(m.the_plan.epoch), e.what());
            }
            std::fflush(options.out);
        }
        if (clock_type::now() >= next) {
            next += interval;
            const snapshot now = take_snapshot();
            if (options.live_stats && m.cfg.router.stats_interval_ms) {
                std::fprintf(options.out, "%s\n", stats_line(now, prev).c_str());
                std::fflush(options.out);
            }
            prev = now;
        }
    }
    request_stop();
    join();
    const snapshot last = take_snapshot();
    const std::string json = summary_json(last);
    std::fprintf(
        options.out,
        "summary: %.2f s, in %" PRIu64 " (%s rec/s), out %" PRIu64 ", dropped %" PRIu64 ", rejected %" PRIu64
        ": %s\n",
        last.seconds, last.get(counter::records_in),
        rate(static_cast<double>(last.get(counter::records_in)) / std::max(last.seconds, 1e-9)).c_str(),
        last.get(counter::records_out),
        last.get(counter::drop_ring_full) + last.get(counter::drop_sink) + last.get(counter::drop_shutdown),
        last.get(counter::records_rejected),
        last.reconciled() ? "every record read is accounted for (in = out + dropped + rejected)"
                          : "NOT RECONCILED (in != out + dropped + rejected)");
    // Datagrams lost before any core decoded them: outside the reconciliation.
    const auto datagram_drops = [&](counter c, const char* label, const char* why) {
        if (const std::uint64_t n = last.get(c))
            std::fprintf(options.out, "%s: %" PRIu64 " datagrams %s; their records are not in 'in')\n", label,
                         n, why);
    };
    datagram_drops(counter::drop_rx_kernel, "kernel drops",
                   "never reached shardgate (a socket receive buffer was full");
    datagram_drops(counter::drop_shutdown_datagrams, "shutdown drops",
                   "reached a relay after its core gave up draining (never decoded");
    std::string parts = "partitions:";
    for (std::size_t p = 0; p < last.per_partition.size(); ++p)
        parts.append(" ").append(std::to_string(p)).append("=").append(std::to_string(last.per_partition[p]));
    std::fprintf(options.out, "%s (skew %.2f)\n", parts.c_str(), last.skew());
    std::string lost;
    for (std::size_t p = 0; p < last.per_partition_lost.size(); ++p)
        if (last.per_partition_lost[p])
            lost.append(" ")
                .append(m.cfg.sinks[p].uri)
                .append("=")
                .append(std::to_string(last.per_partition_lost[p]));
    if (!lost.empty()) std::fprintf(options.out, "sinks that lost records:%s\n", lost.c_str());
    std::string nonzero = "counters:";
    for (std::size_t k = 0; k < counter_count; ++k)
        if (last.counters[k])
            nonzero.append(" ")
                .append(counter_infos[k].name)
                .append("=")
                .append(std::to_string(last.counters[k]));
    std::fprintf(options.out, "%s\n", nonzero.c_str());
    if (m.cfg.dead_letter)
        std::fprintf(options.out, "dead letter: %" PRIu64 " records delivered\n", last.dead_letter_out);
#ifdef SHARDGATE_HAVE_DPDK
    if (m.dpdk) std::fprintf(options.out, "%s", m.dpdk->stats_text().c_str());
#endif
    std::fflush(options.out);
    if (!options.summary_json.empty()) {
        std::ofstream f(options.summary_json);
        f << json << "\n";
        if (!f) throw std::runtime_error("cannot write the summary to " + options.summary_json);
    }
    for (auto& c : m.cores)
        if (c->state.load() == thread_state::failed) return 1;
    for (auto& e : m.egresses)
        if (e->state.load() == thread_state::failed) return 1;
    return last.reconciled() ? 0 : 1;
}

} // namespace shardgate::control
