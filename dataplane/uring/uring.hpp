#pragma once
/// io_uring sources and sinks: one io_uring per thread (a dataplane core or
/// an egress thread), shared by every source or sink that thread drives.
///
/// Calling protocol (every call on the thread that made the context, which
/// is also the thread that made its sources and sinks):
///
///     auto ctx = make_uring_context(256);                 // on the thread
///     auto src = make_uring_source(*ctx, cfg.sources[i], cfg.format);
///     loop:
///         ctx->poll();                      // once per iteration: submit + harvest
///         n = src->poll(chunks, counters);  // reads only src's own queue
///         ... decode ... src->release(chunks.first(n));
///         if idle for a while: ctx->wait(idle_sleep_us);
///     src->stop(); loop until src->finished();
///     src.reset();                          // sources and sinks before ctx
///     ctx.reset();
///
/// Egress threads do the same with sinks: `ctx->poll()` once per iteration,
/// then `sink->submit(...)` / `sink->poll(counters)` for each sink. A sink's
/// submit() only prepares a submission; the next `ctx->poll()` hands it to
/// the kernel. Source and sink polls never enter the kernel for completions:
/// `uring_context::poll()` is the one place completions are harvested, so a
/// context is harvested once per loop no matter how many sources or sinks
/// share it. Design notes and measured figures: docs/dataplane.md.

#include <cstdint>
#include <memory>
#include <stdexcept>

#include "dataplane/pipeline/sink.hpp"
#include "dataplane/pipeline/source.hpp"
#include "shardgate/config.hpp"
#include "shardgate/format.hpp"

namespace shardgate {

/// How the kernel runs the completion work of network receives.
enum class uring_taskrun : std::uint8_t {
    /// IORING_SETUP_COOP_TASKRUN: completion work runs at the owning thread's
    /// next system call (poll() makes one when the kernel flags pending
    /// work), without interrupting it. The default: it measured ≈ 20 % less
    /// CPU per received datagram than deferred here (docs/dataplane.md).
    cooperative,
    /// IORING_SETUP_DEFER_TASKRUN: completion work runs only inside
    /// io_uring_enter with GETEVENTS (uring_context::poll/wait).
    deferred,
};

struct uring_options {
    /// Submission queue entries (the kernel rounds up to a power of two;
    /// 1..32768). The completion queue gets 8x, since multishot receives post
    /// many completions per submission.
    unsigned entries = 256;
    uring_taskrun taskrun = uring_taskrun::cooperative;
};

/// Thrown by make_uring_context when the kernel refuses io_uring itself
/// (ENOSYS: not built in; EPERM: disabled by kernel.io_uring_disabled or a
/// seccomp policy). Other setup failures are plain std::runtime_error.
class uring_unavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One io_uring, owned by one thread. Made with IORING_SETUP_SINGLE_ISSUER,
/// so only the thread that made it may use it (or anything made from it).
class uring_context {
public:
    virtual ~uring_context() = default;

    /// Owning thread, once per loop iteration. Submits what sources and
    /// sinks prepared, runs pending completion work (one io_uring_enter, and
    /// only when something is pending: an idle poll makes no system call),
    /// harvests completions in batches of 64 (one CQ advance per batch) and
    /// dispatches each to its source or sink, which queues it for its own
    /// poll(). Returns how many completions were harvested. Never blocks.
    /// Cost: ≈ 10 ns when idle (no system call); one io_uring_enter when
    /// work is pending (tests/unit/uring/uring_bench.cpp).
    virtual std::size_t poll() noexcept = 0;

    /// Owning thread, when idle: submits what is prepared and sleeps until a
    /// completion is ready or `timeout_us` passed. True when completions are
    /// ready (the next poll() harvests them). The only call that may sleep.
    virtual bool wait(unsigned timeout_us) noexcept = 0;

    /// Which task-run mode the kernel accepted (deferred falls back to
    /// cooperative on kernels before 6.1).
    [[nodiscard]] virtual uring_taskrun taskrun() const noexcept = 0;
    /// Owning thread: io_uring_enter calls made so far (poll and wait).
    [[nodiscard]] virtual std::uint64_t enters() const noexcept = 0;
    /// Owning thread: completions harvested so far.
    [[nodiscard]] virtual std::uint64_t completions() const noexcept = 0;
};

/// Makes the calling thread's io_uring. Throws uring_unavailable when the
/// kernel refuses io_uring, std::runtime_error for other failures (e.g.
/// "io_uring_queue_init(256 entries): Cannot allocate memory").
std::unique_ptr<uring_context> make_uring_context(unsigned entries);
std::unique_ptr<uring_context> make_uring_context(const uring_options& options);

/// Makes an io_uring UDP or TCP source listening on `cfg.bind`, driven by
/// `ctx` (same thread). `format` gives a TCP source its framing. Throws
/// std::runtime_error / std::invalid_argument naming the source, e.g.
/// "sources[0] (udp 127.0.0.1:7000): bind: Address already in use" or
/// "sources[1] (tcp 0.0.0.0:7001): buffers must be a power of two in 1..32768, got 100".
///
/// udp: one multishot recvmsg on a provided-buffer ring of cfg.buffers x
///   cfg.buffer_bytes; each datagram is one chunk. lossless() is false.
/// tcp: multishot accept, then per connection a multishot recv on a
///   provided-buffer ring shared by the source's connections; chunks hold
///   whole records (see docs/dataplane.md for framing, oversized lines and
///   EOF). lossless() is true: while chunks are held, no buffer is recycled
///   and no receive re-armed, so the peer is held back by TCP flow control.
/// The source must be destroyed before `ctx`.
std::unique_ptr<source> make_uring_source(uring_context& ctx, const source_config& cfg,
                                          const record_format& format);

/// Makes partition `partition`'s sink (udp, tcp, file, null), driven by
/// `ctx` (same thread). Throws std::runtime_error / std::invalid_argument
/// naming the sink, e.g. "sinks[3] (file:///x/out.bin): open /x/out.bin: No such file or directory".
///
/// udp: connected socket, one block = one datagram (IORING_OP_SEND), up to
///   uring_sink_slots in flight; a send error counts the block lost.
/// tcp: one stream, blocks in order, short sends continued; reconnects with
///   backoff (10 ms doubling to 1 s) and while disconnected submit() returns
///   false. A block partly written when the connection died is sent again
///   whole on the next connection (the receiver may see its first records
///   twice, the first copy possibly cut short).
/// file: created or truncated when the sink is made; blocks are written in
///   order at the running offset (one writev at a time).
/// null: counts every block and gives it back at once.
/// The sink must be destroyed before `ctx`.
std::unique_ptr<sink> make_uring_sink(uring_context& ctx, const sink_config& cfg, std::uint32_t partition);

/// Blocks a udp/tcp/file sink takes before submit() returns false.
inline constexpr std::uint32_t uring_sink_slots = 16;
/// Connections a tcp source serves at once; beyond it, new connections wait
/// in the listen backlog until one closes.
inline constexpr std::uint32_t uring_tcp_max_connections = 64;

/// The local port a uring UDP/TCP source is bound to (its configured port,
/// or the one the kernel chose for port 0). Throws std::invalid_argument
/// when `s` is not a uring socket source.
std::uint16_t uring_bound_port(const source& s);

/// What a uring source has seen; owning thread only.
struct uring_source_status {
    /// udp: datagrams the kernel dropped because the socket receive buffer
    /// was full (SO_RXQ_OVFL, brought up to date by stop()); also counted as
    /// drop_rx_kernel. Their records never reach the core, so only datagrams
    /// are known.
    std::uint64_t kernel_drops = 0;
    /// Receives that ended because every provided buffer was taken (udp: also
    /// counted as drop_rx_no_buffer; tcp: backpressure, nothing is lost).
    std::uint64_t no_buffer = 0;
    std::uint32_t held_buffers = 0; ///< provided buffers not given back to the kernel
    std::uint32_t connections = 0;  ///< tcp: connections open now
    std::uint64_t accepted = 0;     ///< tcp: connections accepted so far
    std::uint64_t rejected = 0;     ///< tcp: connections closed at once because every slot was busy
};
/// Throws std::invalid_argument when `s` is not a uring socket source.
uring_source_status uring_status(const source& s);

/// What a uring sink is doing; egress thread only.
struct uring_sink_status {
    bool connected = true;          ///< tcp: a connection is up (others: always true)
    std::uint64_t connects = 0;     ///< tcp: successful connects so far
    std::uint64_t resent_bytes = 0; ///< tcp: bytes of partly written blocks sent again after a reconnect
    std::uint32_t held = 0;         ///< blocks the sink holds (queued or in flight)
};
/// Throws std::invalid_argument when `s` is not a uring sink.
uring_sink_status uring_status(const sink& s);

} // namespace shardgate
