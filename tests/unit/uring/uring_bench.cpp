// Loopback figures for the io_uring sources and sinks, each next to a plain
// socket baseline measured in the same run (same sender, same sizes).
// Opt-in: `meson test -C <dir> --benchmark uring_loopback` or run the binary.
// Prints figures and ratios; asserts nothing about speed.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/uring/uring.hpp"

using namespace shardgate;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::uint32_t record_size = 40;
constexpr std::uint32_t datagram_bytes = 1400; // 35 records
constexpr auto run_time = std::chrono::milliseconds(1500);

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// CPU time of the calling thread: what receiving or sending costs, whatever
/// else the machine is doing (wall-clock rates on a shared 2-CPU machine
/// mostly measure the neighbours).
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

std::uint16_t port_of(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

int must(int v, const char* what) {
    if (v < 0) {
        std::perror(what);
        std::exit(1);
    }
    return v;
}

// --- UDP receive -------------------------------------------------------------

/// Blasts 1400-byte datagrams at `port` with sendmmsg until `stop`.
void udp_blaster(std::uint16_t port, const std::atomic<bool>& stop, std::uint64_t& sent) {
    const int fd = must(::socket(AF_INET, SOCK_DGRAM, 0), "socket");
    const sockaddr_in a = loopback(port);
    must(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), "connect");
    std::vector<char> payload(datagram_bytes, 'r');
    constexpr unsigned batch = 32;
    std::array<iovec, batch> iov{};
    std::array<mmsghdr, batch> msgs{};
    for (unsigned i = 0; i < batch; ++i) {
        iov[i] = {payload.data(), payload.size()};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    std::uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
        const int k = ::sendmmsg(fd, msgs.data(), batch, 0);
        if (k > 0) n += static_cast<std::uint64_t>(k);
    }
    sent = n;
    ::close(fd);
}

/// A rate and what it cost the measured thread in CPU time per unit.
struct figure {
    double per_s = 0;
    double cpu_ns = 0;
};

struct rx_figures {
    double datagrams_per_s = 0;
    double drop_share = 0;
    double cpu_ns = 0; ///< receiving thread's CPU time per datagram
};

rx_figures udp_rx_uring(uring_taskrun mode) {
    uring_options o;
    o.entries = 256;
    o.taskrun = mode;
    auto ctx = make_uring_context(o);
    source_config cfg;
    cfg.name = "bench";
    cfg.kind = source_kind::udp;
    cfg.bind = {"127.0.0.1", 0};
    cfg.buffers = 1024;
    cfg.buffer_bytes = 2048;
    record_format f;
    f.record_size = record_size;
    auto src = make_uring_source(*ctx, cfg, f);
    std::atomic<bool> stop{false};
    std::uint64_t sent = 0;
    counter_block counters;
    std::array<rx_chunk, 64> chunks{};
    std::thread tx(udp_blaster, uring_bound_port(*src), std::cref(stop), std::ref(sent));
    const auto t0 = clock_type::now();
    const double c0 = thread_cpu_seconds();
    while (clock_type::now() - t0 < run_time) {
        ctx->poll();
        const std::size_t n = src->poll(chunks, counters);
        src->release(std::span<const rx_chunk>(chunks.data(), n));
        if (n == 0) ctx->wait(200); // as an idle dataplane loop does
    }
    const double secs = seconds_since(t0);
    const double cpu = thread_cpu_seconds() - c0;
    stop = true;
    tx.join();
    src->stop(); // brings the kernel's drop count up to date
    ctx->poll();
    (void)src->poll(chunks, counters);
    const double in = static_cast<double>(counters.get(counter::datagrams_in));
    const double dropped = static_cast<double>(counters.get(counter::drop_rx_kernel));
    return {in / secs, dropped / std::max(in + dropped, 1.0), cpu * 1e9 / std::max(in, 1.0)};
}

rx_figures udp_rx_baseline() {
    const int fd = must(::socket(AF_INET, SOCK_DGRAM, 0), "socket");
    const int big = 8 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    const timeval tick{0, 100000}; // blocking receives wake up to check the clock
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
    sockaddr_in a = loopback(0);
    must(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), "bind");
    std::atomic<bool> stop{false};
    std::uint64_t sent = 0;
    std::thread tx(udp_blaster, port_of(fd), std::cref(stop), std::ref(sent));
    constexpr unsigned batch = 64;
    std::vector<char> buf(std::size_t{batch} * 2048);
    std::array<iovec, batch> iov{};
    std::array<mmsghdr, batch> msgs{};
    std::uint64_t in = 0;
    const auto t0 = clock_type::now();
    const double c0 = thread_cpu_seconds();
    while (clock_type::now() - t0 < run_time) {
        for (unsigned i = 0; i < batch; ++i) {
            iov[i] = {buf.data() + std::size_t{i} * 2048, 2048};
            msgs[i].msg_hdr = {};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        const int k = ::recvmmsg(fd, msgs.data(), batch, MSG_WAITFORONE, nullptr);
        if (k > 0) in += static_cast<std::uint64_t>(k);
    }
    const double secs = seconds_since(t0);
    const double cpu = thread_cpu_seconds() - c0;
    stop = true;
    tx.join();
    ::close(fd);
    return {static_cast<double>(in) / secs,
            sent > in ? static_cast<double>(sent - in) / static_cast<double>(sent) : 0.0,
            cpu * 1e9 / std::max(static_cast<double>(in), 1.0)};
}

// --- UDP drain: receive cost without wake-ups -----------------------------------

constexpr std::uint32_t drain_datagrams = 4000; // fits a 16 MiB receive buffer
constexpr int drain_rounds = 20;

/// Sends `n` datagrams to `port` and returns once all are queued.
void udp_fill(std::uint16_t port, std::uint32_t n) {
    const int fd = must(::socket(AF_INET, SOCK_DGRAM, 0), "socket");
    const sockaddr_in a = loopback(port);
    must(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), "connect");
    std::vector<char> payload(datagram_bytes, 'd');
    for (std::uint32_t i = 0; i < n; ++i) (void)::send(fd, payload.data(), payload.size(), 0);
    ::close(fd);
}

/// ns of wall and CPU time per datagram to read `drain_datagrams` that
/// already wait in the socket: what one core can take, free of the sender.
figure udp_drain_uring(uring_taskrun mode) {
    uring_options o;
    o.taskrun = mode;
    auto ctx = make_uring_context(o);
    source_config cfg;
    cfg.name = "bench";
    cfg.kind = source_kind::udp;
    cfg.bind = {"127.0.0.1", 0};
    cfg.buffers = 1024;
    cfg.buffer_bytes = 2048;
    record_format f;
    f.record_size = record_size;
    auto src = make_uring_source(*ctx, cfg, f);
    counter_block counters;
    std::array<rx_chunk, 64> chunks{};
    double wall = 0, cpu = 0;
    std::uint64_t got = 0;
    for (int r = 0; r < drain_rounds; ++r) {
        std::thread(udp_fill, uring_bound_port(*src), drain_datagrams).join();
        const std::uint64_t target = got + drain_datagrams;
        const auto t0 = clock_type::now();
        const double c0 = thread_cpu_seconds();
        while (got < target) {
            ctx->poll();
            const std::size_t n = src->poll(chunks, counters);
            got += n;
            src->release(std::span<const rx_chunk>(chunks.data(), n));
            if (counters.get(counter::drop_rx_kernel) != 0) break; // did not fit: figure invalid
        }
        wall += seconds_since(t0);
        cpu += thread_cpu_seconds() - c0;
    }
    return {wall * 1e9 / static_cast<double>(got), cpu * 1e9 / static_cast<double>(got)};
}

figure udp_drain_baseline() {
    const int fd = must(::socket(AF_INET, SOCK_DGRAM, 0), "socket");
    const int big = 8 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    sockaddr_in a = loopback(0);
    must(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), "bind");
    constexpr unsigned batch = 64;
    std::vector<char> buf(std::size_t{batch} * 2048);
    std::array<iovec, batch> iov{};
    std::array<mmsghdr, batch> msgs{};
    double wall = 0, cpu = 0;
    std::uint64_t got = 0;
    for (int r = 0; r < drain_rounds; ++r) {
        std::thread(udp_fill, port_of(fd), drain_datagrams).join();
        const std::uint64_t target = got + drain_datagrams;
        const auto t0 = clock_type::now();
        const double c0 = thread_cpu_seconds();
        while (got < target) {
            for (unsigned i = 0; i < batch; ++i) {
                iov[i] = {buf.data() + std::size_t{i} * 2048, 2048};
                msgs[i].msg_hdr = {};
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            const int k = ::recvmmsg(fd, msgs.data(), batch, MSG_DONTWAIT, nullptr);
            if (k > 0)
                got += static_cast<std::uint64_t>(k);
            else
                break; // fewer arrived than sent: figure covers what did
        }
        wall += seconds_since(t0);
        cpu += thread_cpu_seconds() - c0;
    }
    ::close(fd);
    return {wall * 1e9 / static_cast<double>(got), cpu * 1e9 / static_cast<double>(got)};
}

// --- TCP receive -------------------------------------------------------------

constexpr std::size_t tcp_bytes = std::size_t{512} << 20;

void tcp_pusher(std::uint16_t port) {
    const int fd = must(::socket(AF_INET, SOCK_STREAM, 0), "socket");
    const sockaddr_in a = loopback(port);
    must(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), "connect");
    std::vector<char> chunk(std::size_t{record_size} * 1638, 't'); // ~64 KiB of whole records
    std::size_t left = tcp_bytes;
    while (left > 0) {
        const ssize_t k = ::send(fd, chunk.data(), std::min(left, chunk.size()), 0);
        if (k <= 0) break;
        left -= static_cast<std::size_t>(k);
    }
    ::close(fd);
}

figure tcp_rx_uring(uring_taskrun mode) {
    uring_options o;
    o.taskrun = mode;
    auto ctx = make_uring_context(o);
    source_config cfg;
    cfg.name = "bench";
    cfg.kind = source_kind::tcp;
    cfg.bind = {"127.0.0.1", 0};
    cfg.buffers = 64;
    cfg.buffer_bytes = 65536;
    record_format f;
    f.record_size = record_size;
    auto src = make_uring_source(*ctx, cfg, f);
    counter_block counters;
    std::array<rx_chunk, 64> chunks{};
    std::thread tx(tcp_pusher, uring_bound_port(*src));
    std::size_t got = 0;
    const auto t0 = clock_type::now();
    const double c0 = thread_cpu_seconds();
    while (got < tcp_bytes) {
        ctx->poll();
        const std::size_t n = src->poll(chunks, counters);
        for (std::size_t i = 0; i < n; ++i) got += chunks[i].length;
        src->release(std::span<const rx_chunk>(chunks.data(), n));
        if (n == 0) ctx->wait(200);
    }
    const double secs = seconds_since(t0);
    const double cpu = thread_cpu_seconds() - c0;
    tx.join();
    return {static_cast<double>(got) / secs, cpu * 1e9 / (static_cast<double>(got) / 65536)};
}

figure tcp_rx_baseline() {
    const int l = must(::socket(AF_INET, SOCK_STREAM, 0), "socket");
    sockaddr_in a = loopback(0);
    must(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), "bind");
    must(::listen(l, 1), "listen");
    std::thread tx(tcp_pusher, port_of(l));
    const int c = must(::accept(l, nullptr, nullptr), "accept");
    std::vector<char> buf(65536);
    std::size_t got = 0;
    const auto t0 = clock_type::now();
    const double c0 = thread_cpu_seconds();
    while (got < tcp_bytes) {
        const ssize_t k = ::recv(c, buf.data(), buf.size(), 0);
        if (k <= 0) break;
        got += static_cast<std::size_t>(k);
    }
    const double secs = seconds_since(t0);
    const double cpu = thread_cpu_seconds() - c0;
    tx.join();
    ::close(c);
    ::close(l);
    return {static_cast<double>(got) / secs, cpu * 1e9 / (static_cast<double>(got) / 65536)};
}

// --- sinks -------------------------------------------------------------------

/// Drives `s` with blocks of `block_bytes` from a lane for run_time, as an
/// egress loop does (waiting for a completion when the sink refuses).
/// Returns blocks sent per second and CPU ns per block.
figure drive_sink(uring_context& ctx, sink& s, std::uint32_t block_bytes) {
    lane l(64, block_bytes);
    for (std::uint32_t i = 0; i < 64; ++i) std::memset(l.data(i), 's', block_bytes);
    counter_block counters;
    const auto t0 = clock_type::now();
    const double c0 = thread_cpu_seconds();
    while (clock_type::now() - t0 < run_time) {
        ctx.poll();
        std::uint32_t idx = 0;
        std::size_t work = 0;
        while (l.acquire(idx)) {
            if (!s.submit({l.data(idx), block_bytes, block_bytes / record_size, &l, idx}, counters)) {
                l.give_back(idx);
                break;
            }
            ++work;
        }
        work += s.poll(counters);
        if (work == 0) ctx.wait(200);
    }
    const double secs = seconds_since(t0);
    const double cpu = thread_cpu_seconds() - c0;
    s.close(counters);
    const double blocks = static_cast<double>(s.records_sent()) / (block_bytes / record_size);
    return {blocks / secs, cpu * 1e9 / std::max(blocks, 1.0)};
}

void udp_drain(int fd, const std::atomic<bool>& stop) {
    std::vector<char> buf(65536);
    while (!stop.load(std::memory_order_relaxed)) (void)::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
}

std::pair<figure, figure> udp_sink_pair() {
    const int rx = must(::socket(AF_INET, SOCK_DGRAM, 0), "socket");
    sockaddr_in a = loopback(0);
    must(::bind(rx, reinterpret_cast<sockaddr*>(&a), sizeof a), "bind");
    const std::uint16_t port = port_of(rx);
    std::atomic<bool> stop{false};
    std::thread drain(udp_drain, rx, std::cref(stop));
    auto ctx = make_uring_context(256);
    sink_config cfg;
    cfg.kind = sink_kind::udp;
    cfg.destination = {"127.0.0.1", port};
    auto s = make_uring_sink(*ctx, cfg, 0);
    const figure uring = drive_sink(*ctx, *s, datagram_bytes);
    s.reset();
    // Baseline: send() one datagram at a time on a connected socket.
    const int tx = must(::socket(AF_INET, SOCK_DGRAM, 0), "socket");
    const sockaddr_in d = loopback(port);
    must(::connect(tx, reinterpret_cast<const sockaddr*>(&d), sizeof d), "connect");
    std::vector<char> payload(datagram_bytes, 's');
    std::uint64_t n = 0;
    const auto t0 = clock_type::now();
    const double c0 = thread_cpu_seconds();
    while (clock_type::now() - t0 < run_time)
        if (::send(tx, payload.data(), payload.size(), 0) > 0) ++n;
    const double cpu = thread_cpu_seconds() - c0;
    const figure base{static_cast<double>(n) / seconds_since(t0),
                      cpu * 1e9 / std::max(static_cast<double>(n), 1.0)};
    stop = true;
    drain.join();
    ::close(tx);
    ::close(rx);
    return {uring, base};
}

void tcp_drain(int listener) {
    const int c = ::accept(listener, nullptr, nullptr);
    std::vector<char> buf(1 << 20);
    while (::recv(c, buf.data(), buf.size(), 0) > 0) {
    }
    ::close(c);
}

std::pair<figure, figure> tcp_sink_pair() {
    constexpr std::uint32_t block = 65520; // whole 40-byte records
    const int l = must(::socket(AF_INET, SOCK_STREAM, 0), "socket");
    sockaddr_in a = loopback(0);
    must(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), "bind");
    must(::listen(l, 4), "listen");
    const std::uint16_t port = port_of(l);
    std::thread drain(tcp_drain, l);
    figure uring;
    {
        auto ctx = make_uring_context(256);
        sink_config cfg;
        cfg.kind = sink_kind::tcp;
        cfg.destination = {"127.0.0.1", port};
        auto s = make_uring_sink(*ctx, cfg, 0);
        while (!uring_status(*s).connected) {
            ctx->poll();
            counter_block c;
            (void)s->poll(c);
            ctx->wait(1000);
        }
        uring = drive_sink(*ctx, *s, block);
    }
    drain.join();
    std::thread drain2(tcp_drain, l);
    const int tx = must(::socket(AF_INET, SOCK_STREAM, 0), "socket");
    const sockaddr_in d = loopback(port);
    must(::connect(tx, reinterpret_cast<const sockaddr*>(&d), sizeof d), "connect");
    std::vector<char> payload(block, 's');
    std::uint64_t bytes = 0;
    const auto t0 = clock_type::now();
    const double c0 = thread_cpu_seconds();
    while (clock_type::now() - t0 < run_time) {
        const ssize_t k = ::send(tx, payload.data(), payload.size(), 0);
        if (k > 0) bytes += static_cast<std::uint64_t>(k);
    }
    const double cpu = thread_cpu_seconds() - c0;
    const double blocks = static_cast<double>(bytes) / block;
    const figure base{blocks / seconds_since(t0), cpu * 1e9 / std::max(blocks, 1.0)};
    ::close(tx);
    drain2.join();
    ::close(l);
    return {uring, base};
}

// --- idle poll -----------------------------------------------------------------

std::pair<double, double> idle_poll_pair() {
    auto ctx = make_uring_context(256);
    source_config cfg;
    cfg.name = "bench";
    cfg.kind = source_kind::udp;
    cfg.bind = {"127.0.0.1", 0};
    cfg.buffers = 64;
    cfg.buffer_bytes = 2048;
    record_format f;
    f.record_size = record_size;
    auto src = make_uring_source(*ctx, cfg, f);
    counter_block counters;
    std::array<rx_chunk, 32> chunks{};
    constexpr int rounds = 2'000'000;
    for (int i = 0; i < 1000; ++i) ctx->poll(); // the receive is armed
    auto t0 = clock_type::now();
    for (int i = 0; i < rounds; ++i) {
        ctx->poll();
        (void)src->poll(chunks, counters);
    }
    const double uring_ns = seconds_since(t0) * 1e9 / rounds;
    // Baseline: what a poll loop over a plain non-blocking socket pays.
    const int fd = must(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), "socket");
    sockaddr_in a = loopback(0);
    must(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), "bind");
    char b[64];
    constexpr int base_rounds = 200'000;
    t0 = clock_type::now();
    for (int i = 0; i < base_rounds; ++i) (void)::recv(fd, b, sizeof b, 0);
    const double base_ns = seconds_since(t0) * 1e9 / base_rounds;
    ::close(fd);
    return {uring_ns, base_ns};
}

const char* name(uring_taskrun m) { return m == uring_taskrun::deferred ? "deferred" : "cooperative"; }

} // namespace

int main() {
    try {
        (void)make_uring_context(8);
    } catch (const uring_unavailable& e) {
        std::printf("SKIP: io_uring unavailable: %s\n", e.what());
        return 77;
    }
    std::printf("io_uring loopback figures (%u CPUs; each line: io_uring, then a plain-socket baseline from "
                "this run)\n",
                std::thread::hardware_concurrency());

    const auto [idle_ns, recv_ns] = idle_poll_pair();
    std::printf("idle poll           %8.1f ns/iteration (context + UDP source)   baseline recv()=EAGAIN "
                "%7.1f ns   ratio %.3f\n",
                idle_ns, recv_ns, idle_ns / recv_ns);

    const rx_figures base = udp_rx_baseline();
    for (const auto mode : {uring_taskrun::deferred, uring_taskrun::cooperative}) {
        const rx_figures u = udp_rx_uring(mode);
        std::printf(
            "udp rx %4u B       %6.3f M datagrams/s, %6.0f ns CPU each (%s; %.1f%% dropped by the kernel)\n"
            "                     baseline recvmmsg %6.3f M/s, %6.0f ns CPU each (%.1f%% lost)   CPU ratio "
            "%.2f\n",
            datagram_bytes, u.datagrams_per_s / 1e6, u.cpu_ns, name(mode), u.drop_share * 100,
            base.datagrams_per_s / 1e6, base.cpu_ns, base.drop_share * 100, u.cpu_ns / base.cpu_ns);
    }

    const figure drain_base = udp_drain_baseline();
    // Cooperative first, then deferred, then cooperative again: the order
    // does not favour either mode.
    for (const auto mode :
         {uring_taskrun::cooperative, uring_taskrun::deferred, uring_taskrun::cooperative}) {
        const figure d = udp_drain_uring(mode);
        std::printf("udp drain %4u B    %6.0f ns wall, %6.0f ns CPU per queued datagram (%s)\n"
                    "                     baseline recvmmsg %6.0f ns wall, %6.0f ns CPU   CPU ratio %.2f\n",
                    datagram_bytes, d.per_s, d.cpu_ns, name(mode), drain_base.per_s, drain_base.cpu_ns,
                    d.cpu_ns / drain_base.cpu_ns);
    }

    const figure tcp_base = tcp_rx_baseline();
    for (const auto mode : {uring_taskrun::deferred, uring_taskrun::cooperative}) {
        const figure t = tcp_rx_uring(mode);
        std::printf(
            "tcp rx              %6.2f GB/s, %6.0f ns CPU per 64 KiB (%s; whole records handed out)\n"
            "                     baseline recv() %6.2f GB/s, %6.0f ns CPU per 64 KiB   CPU ratio %.2f\n",
            t.per_s / 1e9, t.cpu_ns, name(mode), tcp_base.per_s / 1e9, tcp_base.cpu_ns,
            t.cpu_ns / tcp_base.cpu_ns);
    }

    const auto [udp_tx, udp_tx_base] = udp_sink_pair();
    std::printf("udp sink %4u B     %6.3f M datagrams/s, %6.0f ns CPU each\n"
                "                     baseline send() %6.3f M/s, %6.0f ns CPU each   CPU ratio %.2f\n",
                datagram_bytes, udp_tx.per_s / 1e6, udp_tx.cpu_ns, udp_tx_base.per_s / 1e6,
                udp_tx_base.cpu_ns, udp_tx.cpu_ns / udp_tx_base.cpu_ns);
    const auto [tcp_tx, tcp_tx_base] = tcp_sink_pair();
    std::printf("tcp sink 64 KiB     %6.2f GB/s, %6.0f ns CPU per block\n"
                "                     baseline send() %6.2f GB/s, %6.0f ns CPU per block   CPU ratio %.2f\n",
                tcp_tx.per_s * 65520 / 1e9, tcp_tx.cpu_ns, tcp_tx_base.per_s * 65520 / 1e9,
                tcp_tx_base.cpu_ns, tcp_tx.cpu_ns / tcp_tx_base.cpu_ns);
    return 0;
}
