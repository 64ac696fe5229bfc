#pragma once
/// The coordinator: turns a validated config and a plan into running,
/// pinned dataplane and egress threads, watches them, stops and drains them,
/// and reports. Runs on the control thread; may allocate and throw.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shardgate/config.hpp"
#include "shardgate/counters.hpp"
#include "shardgate/plan.hpp"

namespace shardgate::control {

/// Readies `ready_file` (run_options::ready_file) before a run: scripts poll
/// for it, so it must not appear, even briefly or empty, before every socket
/// is bound. Removes a stale one and checks that its staging file (the name
/// plus ".tmp", written and then renamed into place) can be created, never
/// touching the ready file's own name. Throws std::invalid_argument naming
/// the file and the reason (a directory in the way, no such directory, no
/// permission).
void prepare_ready_file(const std::string& ready_file);

struct run_options {
    double duration_s = 0;                  ///< stop after this long (0 = until stop is requested)
    std::string summary_json;               ///< also write the final summary here ("" = no file)
    std::uint32_t drain_timeout_ms = 10000; ///< longest a stop may take to drain before dropping what is held
    bool live_stats = true;                 ///< one line per stats interval
    std::string ready_file;                 ///< written (bound ports, one per line) once every thread runs
    /// When *reload_requested turns true (SIGHUP), run() calls reload() for a
    /// new plan and applies it with reprogram(); a failure is reported and the
    /// router keeps its plan.
    std::function<plan()> reload;
    std::atomic<bool>* reload_requested = nullptr;
    std::FILE* out = stdout;
};

/// Totals at one moment, summed over every core.
struct snapshot {
    double seconds = 0;
    std::array<std::uint64_t, counter_count> counters{};
    std::vector<std::uint64_t> per_partition;      ///< records each partition's sink delivered
    std::vector<std::uint64_t> per_partition_lost; ///< records each partition's sink could not deliver
    std::uint64_t dead_letter_out = 0;             ///< records the dead-letter sink delivered
    std::vector<std::uint64_t> core_epochs;        ///< the plan epoch each dataplane core routes with
    [[nodiscard]] std::uint64_t get(counter c) const noexcept {
        return counters[static_cast<std::size_t>(c)];
    }
    /// in == out + every drop + rejected (exact once drained).
    [[nodiscard]] bool reconciled() const noexcept;
    /// max / mean of per_partition (1 = perfectly even; 0 when nothing arrived).
    [[nodiscard]] double skew() const noexcept;
};

class runtime {
public:
    /// Checks what the plan needs against the config without allocating
    /// anything big: routing key fields exist in the format, sources sit on
    /// existing cores, N matches the sinks. Throws std::invalid_argument with a
    /// clear message; returns warnings (smart_repartition without its fast
    /// path, records that would not fit a block).
    static std::vector<std::string> validate(const config& cfg, const plan& p);
    /// The longest record the lanes carry for this config.
    static std::uint32_t max_record_bytes(const config& cfg);
    /// Memory the lanes of this config take (every core's blocks).
    static std::uint64_t lane_memory_bytes(const config& cfg);
    /// Memory the decoders take under plan `p`, measured: one decoder per
    /// source is built as run builds them (sources of a core with the same
    /// keys share one, so this is an upper bound), and the heap it takes
    /// (glibc's mallinfo2) counted: burst scratch, key arenas and, for
    /// ndjson, simdjson's parser, all sized by the longest record. Twice
    /// that while a new plan is being installed. Single-threaded callers.
    static std::uint64_t decoder_memory_bytes(const config& cfg, const plan& p);
    /// The DPDK mbuf pool's budget: its size, what ports, sources and thread
    /// caches hold, and how many lanes of DPDK sinks can live in the rest
    /// (zero-copy transmit). Empty without DPDK ports or a DPDK build.
    static std::string dpdk_pool_text(const config& cfg);
    /// A source's routing keys: its join side's keys, else the plan's.
    static const std::vector<key_expr>& keys_for(const plan& p, const source_config& s);

    /// Validates what the plan needs against the config (routing key fields
    /// exist in the format, CPUs exist, fan_in target, N matches the sinks)
    /// and allocates the lanes, each on its dataplane core's NUMA node.
    /// Throws std::runtime_error / std::invalid_argument with a clear message.
    runtime(const config& cfg, const plan& p);
    ~runtime();
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    /// Starts egress threads, then dataplane threads; each builds its own
    /// io_uring, sockets and sinks and pins itself. Returns once all are
    /// running, or throws the first setup error (after stopping the rest).
    /// `interrupt` (a signal flag) stops the wait: the threads are told to
    /// stop and start() throws.
    void start(const std::atomic<bool>* interrupt = nullptr);

    /// Asks the dataplane to stop: sources stop taking new work, what was
    /// received is routed and delivered, sinks are flushed. Any thread.
    void request_stop() noexcept { stop_.store(true, std::memory_order_release); }

    /// Waits until every thread has drained and exited.
    void join();

    /// True once every thread has exited (after a stop, or a fatal error).
    [[nodiscard]] bool finished() const noexcept;

    [[nodiscard]] snapshot take_snapshot() const;

    struct reprogram_result {
        std::uint64_t epoch = 0;       ///< the new plan's epoch
        std::size_t cores_pending = 0; ///< cores that had not applied it when the wait ended
    };
    /// Control thread, while running: hands `next` to every dataplane core,
    /// in two phases so that the cores switch together or not at all. Each
    /// core first builds a router and decoders for it, alongside the ones it
    /// routes with; once every core has, each puts its new ones in force
    /// between two bursts (blocks already filled leave as they are) and
    /// acknowledges the plan's epoch. Waits up to `timeout` in all; a core
    /// held by backpressure past that applies the plan as soon as its burst
    /// is out (counted in cores_pending). Throws std::invalid_argument when
    /// the plan does not fit the running router (another N, keys the format
    /// lacks), and std::runtime_error when a core could not build it in time
    /// or at all: then no core takes it.
    reprogram_result reprogram(plan next,
                               std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

    /// Fault injection for tests, set before start(): called on a dataplane
    /// core (its index, the posted plan's epoch) as it begins to build a
    /// plan reprogram() posted; an exception it throws fails that core's
    /// build, as running out of memory would.
    void set_prepare_hook(std::function<void(std::size_t core, std::uint64_t epoch)> hook);
    /// The plan in force (or being applied by cores held by backpressure).
    [[nodiscard]] const plan& current_plan() const noexcept;

    /// The bound port of UDP/TCP source `i` (useful with port 0).
    [[nodiscard]] std::uint16_t source_port(std::size_t i) const;

    /// start(), then the live stats loop until `stop` is set by the caller
    /// (a signal handler), the duration passes or the threads end; then stop,
    /// drain, print and write the summary. Returns the exit code (0 clean).
    int run(const run_options& options, const std::atomic<bool>& stop);

    /// The final summary as one JSON object (plan, counters, partitions).
    [[nodiscard]] std::string summary_json(const snapshot& s) const;
    /// One live stats line: rates since `prev`.
    [[nodiscard]] static std::string stats_line(const snapshot& now, const snapshot& prev);

private:
    struct impl;
    static void allocate_cores(impl& m, const config& cfg, const routing_params& r);
    std::unique_ptr<impl> impl_;
    std::atomic<bool> stop_{false};
    std::uint32_t drain_timeout_ms_ = 10000;
};

} // namespace shardgate::control
