// shardgate-sink: receives shardgate's output partitions (one UDP or TCP
// port per partition), or reads captured pcaps / file:// outputs, and
// verifies them: decoding, per-(partition, source, symbol) order, duplicates,
// key locality, integrity, counts. Prints a JSON summary; exit 0 pass,
// 1 violation, 2 bad flags, 3 I/O setup failure. See docs/tools.md.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <list>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/common/cli.hpp"
#include "tools/common/json.hpp"
#include "tools/common/pcap.hpp"
#include "tools/common/verifier.hpp"

#ifndef UDP_GRO
#define UDP_GRO 104 // linux/udp.h; absent from older libc headers
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

using namespace shardgate::tools;
using shardgate::partition_id;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

std::uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

const std::vector<flag_spec> flags = {
    {"udp", "HOST:PORT", "", "listen for datagrams on PORT..PORT+N-1; port PORT+p is partition p"},
    {"tcp", "HOST:PORT", "", "accept TCP connections on PORT..PORT+N-1 (any number per port)"},
    {"pcap", "FILE[,FILE...]", "", "verify captured pcap files instead of listening; file i is partition i"},
    {"files", "FILE[,FILE...]", "",
     "verify files written by file:// sinks (stream framing); file i is partition i"},
    {"partitions", "N", "", "partitions to listen for (required with --udp/--tcp)"},
    {"format", "F", "fixed", "record format: fixed, csv or ndjson"},
    {"key", "COL[,COL...]", "",
     "locality check: no value of this tuple of trade columns (seq, source, symbol, "
     "trader_id, price) may reach two partitions (default: no locality check)"},
    {"expect", "N", "",
     "exact total of records expected: stop once reached (after --grace-ms), and report "
     "count mismatches and seq gaps"},
    {"grace-ms", "MS", "200", "after --expect is reached, keep listening this long to catch extras"},
    {"idle-timeout", "S", "2", "stop after S seconds without data once something arrived (decimals allowed)"},
    {"timeout", "S", "60", "overall limit in seconds (decimals allowed)"},
    {"slow-us", "U", "0", "sleep U microseconds after every receive call (TCP: exerts backpressure)"},
    {"read-bytes", "N", "262144", "TCP: at most N bytes per read (with --slow-us this caps the read rate)"},
    {"batch", "N", "64", "UDP: datagrams per recvmmsg call (1..1024)"},
    {"rcvbuf", "BYTES", "UDP 33554432, TCP the kernel's autotuning",
     "socket receive buffer (SO_RCVBUFFORCE when permitted); a small TCP buffer makes --slow-us bite sooner"},
    {"max-record-bytes", "N", "1024", "csv/ndjson records longer than this are malformed_oversized"},
    {"no-price-check", "", "", "do not require price to be the generator's checksum of the other fields"},
    {"ignore-checksums", "", "", "pcap: do not verify IPv4 header and UDP checksums"},
    {"details", "N", "10", "violations reported with details in the summary"},
    {"ready-file", "FILE", "", "write FILE once every endpoint listens (an old FILE is removed at start)"},
    {"summary-json", "FILE", "", "also write the summary JSON to FILE"},
    {"help", "", "", "print this help"},
};

/// Why the sink stopped.
enum class stop_reason { expect_reached, idle, timeout, signal, end_of_input };
const char* to_string(stop_reason r) {
    switch (r) {
    case stop_reason::expect_reached:
        return "expect_reached";
    case stop_reason::idle:
        return "idle";
    case stop_reason::timeout:
        return "timeout";
    case stop_reason::signal:
        return "signal";
    case stop_reason::end_of_input:
        return "end_of_input";
    }
    return "?";
}

struct limits {
    std::uint64_t grace_ns = 200'000'000;
    std::uint64_t idle_ns = 2'000'000'000;
    std::uint64_t timeout_ns = 60'000'000'000;
    std::uint64_t slow_us = 0;
};

struct run_info {
    std::uint64_t first_data_ns = 0;
    std::uint64_t last_data_ns = 0;
    stop_reason why = stop_reason::end_of_input;
    std::vector<std::uint64_t> kernel_drops; ///< UDP: SO_RXQ_OVFL per partition
    std::uint64_t connections = 0;           ///< TCP: accepted
    std::uint64_t open_at_stop = 0;          ///< TCP: connections the sender had not closed
    std::uint64_t unfinished_bytes = 0;      ///< TCP: bytes of records cut by the stop
    std::uint64_t frames_skipped = 0;        ///< pcap: frames that were not UDP
    std::uint64_t udp_messages = 0;          ///< UDP: messages received (a GRO train is one)
    std::uint64_t gro_trains = 0;            ///< UDP: messages holding several datagrams
};

void write_ready_file(const std::string& path) {
    const std::string tmp = path + ".tmp";
    // Replace whatever has the staging name, as shardgate run does: a
    // symlink left there is not written through.
    ::unlink(tmp.c_str());
    {
        std::ofstream out(tmp);
        out << "ready\n";
        if (!out) sys_fail("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) sys_fail("cannot rename " + tmp + " to " + path);
}

/// The event loop's stop rules, checked after every wake-up.
class stopper {
public:
    stopper(const limits& l, const verifier& v, run_info& info)
        : l_(l), v_(v), info_(info), start_(now_ns()) {}
    bool should_stop() {
        const std::uint64_t now = now_ns();
        if (g_stop.load(std::memory_order_relaxed)) return stop(stop_reason::signal);
        if (const auto& e = v_.config().expect; e && v_.total() >= *e) {
            if (!grace_until_) grace_until_ = now + l_.grace_ns;
            if (now >= grace_until_) return stop(stop_reason::expect_reached);
        }
        if (info_.first_data_ns && now - info_.last_data_ns >= l_.idle_ns) return stop(stop_reason::idle);
        if (now - start_ >= l_.timeout_ns) return stop(stop_reason::timeout);
        return false;
    }
    /// Milliseconds to wait for events: short enough to honour every limit.
    int wait_ms() const { return 20; }

private:
    bool stop(stop_reason r) {
        info_.why = r;
        return true;
    }
    const limits& l_;
    const verifier& v_;
    run_info& info_;
    std::uint64_t start_;
    std::uint64_t grace_until_ = 0;
};

void note_data(run_info& info) {
    const std::uint64_t t = now_ns();
    if (!info.first_data_ns) info.first_data_ns = t;
    info.last_data_ns = t;
}

void set_rcvbuf(int fd, int bytes) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

void run_udp(verifier& v, const endpoint& base, std::uint32_t partitions, std::size_t batch, int rcvbuf,
             const limits& lim, const std::optional<std::string>& ready, run_info& info) {
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) sys_fail("epoll_create1");
    std::vector<int> fds;
    for (std::uint32_t p = 0; p < partitions; ++p) {
        const endpoint e = base.with_port_offset(static_cast<std::uint16_t>(p));
        const int fd = socket(e.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) sys_fail("socket");
        set_rcvbuf(fd, rcvbuf);
        const int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one); // drop counter per datagram
        setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one);        // accept GSO trains whole
        if (bind(fd, reinterpret_cast<const sockaddr*>(&e.addr), e.length) != 0)
            sys_fail("cannot bind UDP " + e.to_string() + " (partition " + std::to_string(p) + ")");
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = p;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) sys_fail("epoll_ctl");
        fds.push_back(fd);
    }
    if (ready) write_ready_file(*ready);
    info.kernel_drops.assign(partitions, 0);

    constexpr std::size_t slot = 65536; // largest datagram, or GRO train, per message
    constexpr std::size_t cbuf = CMSG_SPACE(sizeof(std::uint32_t)) + CMSG_SPACE(sizeof(int));
    std::vector<char> data(batch * slot);
    std::vector<char> control(batch * cbuf);
    std::vector<iovec> iov(batch);
    std::vector<mmsghdr> msgs(batch);
    std::vector<epoll_event> events(std::min<std::uint32_t>(partitions, 256));
    stopper stop(lim, v, info);
    while (!stop.should_stop()) {
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), stop.wait_ms());
        if (n < 0 && errno != EINTR) sys_fail("epoll_wait");
        for (int i = 0; i < n; ++i) {
            const std::uint32_t p = events[static_cast<std::size_t>(i)].data.u32;
            // A few batches per socket per wake-up keeps partitions fair.
            for (int round = 0; round < 8; ++round) {
                for (std::size_t m = 0; m < batch; ++m) {
                    iov[m] = {data.data() + m * slot, slot};
                    msgs[m] = {};
                    msgs[m].msg_hdr.msg_iov = &iov[m];
                    msgs[m].msg_hdr.msg_iovlen = 1;
                    msgs[m].msg_hdr.msg_control = control.data() + m * cbuf;
                    msgs[m].msg_hdr.msg_controllen = cbuf;
                }
                const int got =
                    recvmmsg(fds[p], msgs.data(), static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
                if (got < 0) {
                    if (errno == EAGAIN || errno == EINTR) break;
                    sys_fail("recvmmsg on partition " + std::to_string(p));
                }
                if (got == 0) break;
                note_data(info);
                for (int m = 0; m < got; ++m) {
                    const msghdr& h = msgs[static_cast<std::size_t>(m)].msg_hdr;
                    const std::size_t len = msgs[static_cast<std::size_t>(m)].msg_len;
                    std::size_t seg = 0;
                    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                            std::uint32_t drops;
                            std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
                            info.kernel_drops[p] = drops;
                        } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
                            int s;
                            std::memcpy(&s, CMSG_DATA(c), sizeof s);
                            seg = s > 0 ? static_cast<std::size_t>(s) : 0;
                        }
                    }
                    const char* d = data.data() + static_cast<std::size_t>(m) * slot;
                    if (h.msg_flags & MSG_TRUNC) {
                        v.report(violation_kind::bad_frame, p,
                                 "partition " + std::to_string(p) +
                                     ": datagram larger than 65536 bytes (cut)");
                        continue;
                    }
                    ++info.udp_messages;
                    if (seg == 0 || seg >= len) {
                        v.on_datagram(partition_id{p}, {d, len});
                    } else { // a GRO train: each segment is one datagram
                        ++info.gro_trains;
                        for (std::size_t off = 0; off < len; off += seg)
                            v.on_datagram(partition_id{p}, {d + off, std::min(seg, len - off)});
                    }
                }
                if (lim.slow_us) usleep(static_cast<useconds_t>(lim.slow_us));
                if (static_cast<std::size_t>(got) < batch) break;
            }
        }
    }
    for (int fd : fds) close(fd);
    close(ep);
}

struct tcp_conn {
    int fd;
    verifier::stream stream;
};

void run_tcp(verifier& v, const endpoint& base, std::uint32_t partitions, std::size_t read_bytes, int rcvbuf,
             const limits& lim, const std::optional<std::string>& ready, run_info& info) {
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) sys_fail("epoll_create1");
    std::vector<int> listeners;
    for (std::uint32_t p = 0; p < partitions; ++p) {
        const endpoint e = base.with_port_offset(static_cast<std::uint16_t>(p));
        const int fd = socket(e.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) sys_fail("socket");
        const int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (rcvbuf > 0) set_rcvbuf(fd, rcvbuf); // inherited by accepted sockets
        if (bind(fd, reinterpret_cast<const sockaddr*>(&e.addr), e.length) != 0)
            sys_fail("cannot bind TCP " + e.to_string() + " (partition " + std::to_string(p) + ")");
        if (listen(fd, 128) != 0) sys_fail("listen on " + e.to_string());
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = nullptr;
        ev.data.u64 = p; // listeners: partition index; connections: pointer (always > 65535)
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) sys_fail("epoll_ctl");
        listeners.push_back(fd);
    }
    if (ready) write_ready_file(*ready);

    std::list<tcp_conn> conns;
    std::vector<epoll_event> events(256);
    stopper stop(lim, v, info);
    while (!stop.should_stop()) {
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), stop.wait_ms());
        if (n < 0 && errno != EINTR) sys_fail("epoll_wait");
        for (int i = 0; i < n; ++i) {
            const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
            if (tag < partitions) {
                const auto p = static_cast<std::uint32_t>(tag);
                for (;;) {
                    const int cfd = accept4(listeners[p], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) break;
                    conns.push_back(tcp_conn{cfd, verifier::stream(v, partition_id{p})});
                    epoll_event ev{};
                    ev.events = EPOLLIN | EPOLLRDHUP;
                    ev.data.ptr = &conns.back();
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev) != 0) sys_fail("epoll_ctl");
                    ++info.connections;
                }
                continue;
            }
            auto* c = static_cast<tcp_conn*>(events[static_cast<std::size_t>(i)].data.ptr);
            bool eof = false;
            for (int round = 0; round < 16; ++round) {
                const std::size_t want = std::min(read_bytes, c->stream.space_size());
                const ssize_t r = read(c->fd, c->stream.space(), want);
                if (r < 0) {
                    if (errno == EAGAIN || errno == EINTR) break;
                    eof = true; // reset: what arrived is all there is
                    break;
                }
                if (r == 0) {
                    eof = true;
                    break;
                }
                note_data(info);
                c->stream.commit(static_cast<std::size_t>(r));
                if (lim.slow_us) usleep(static_cast<useconds_t>(lim.slow_us));
                if (static_cast<std::size_t>(r) < want) break;
            }
            if (eof) {
                c->stream.end();
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
                close(c->fd);
                conns.remove_if([c](const tcp_conn& x) { return &x == c; });
            }
        }
    }
    // Connections still open when the sink stops: a partial record in their
    // buffers is where the stop cut the stream, not a framing error, so it
    // is reported as unfinished bytes rather than verified as a last record.
    for (auto& c : conns) {
        info.unfinished_bytes += c.stream.pending();
        info.open_at_stop += 1;
        close(c.fd);
    }
    for (int fd : listeners) close(fd);
    close(ep);
}

void run_pcap(verifier& v, const std::vector<std::string>& files, bool check_checksums, run_info& info) {
    info.first_data_ns = now_ns();
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto p = static_cast<std::uint32_t>(i);
        pcap_reader r(files[i]);
        pcap_reader::frame f;
        while (r.next(f)) {
            if (f.original_length > f.data.size()) {
                v.report(violation_kind::bad_frame, p,
                         files[i] + " frame " + std::to_string(r.frames()) + ": captured " +
                             std::to_string(f.data.size()) + " of " + std::to_string(f.original_length) +
                             " bytes");
                continue;
            }
            const frame_info fi = parse_udp_frame(f.data, check_checksums);
            if (fi.kind == frame_kind::not_udp) {
                ++info.frames_skipped;
            } else if (fi.kind == frame_kind::bad) {
                v.report(violation_kind::bad_frame, p,
                         files[i] + " frame " + std::to_string(r.frames()) + ": " + fi.what);
            } else {
                v.on_datagram(partition_id{p}, fi.payload);
            }
        }
    }
    info.last_data_ns = now_ns();
}

void run_files(verifier& v, const std::vector<std::string>& files, run_info& info) {
    info.first_data_ns = now_ns();
    for (std::size_t i = 0; i < files.size(); ++i) {
        std::FILE* f = std::fopen(files[i].c_str(), "rb");
        if (!f) sys_fail("cannot open " + files[i]);
        verifier::stream s(v, partition_id{static_cast<std::uint32_t>(i)});
        for (;;) {
            const std::size_t n = std::fread(s.space(), 1, s.space_size(), f);
            if (n > 0) s.commit(n);
            if (n == 0) break;
        }
        const bool failed = std::ferror(f) != 0;
        std::fclose(f);
        if (failed) sys_fail("cannot read " + files[i]);
        s.end();
    }
    info.last_data_ns = now_ns();
}

int run(int argc, char** argv) {
    arg_parser args("shardgate-sink",
                    "(--udp HOST:PORT | --tcp HOST:PORT) --partitions N [flags]\n"
                    "       shardgate-sink (--pcap FILE,... | --files FILE,...) [flags]\n\n"
                    "Receives or reads each partition's records and verifies them; prints one JSON summary\n"
                    "line. Exit 0 pass, 1 any violation, 2 bad flags, 3 I/O setup failure (port in use,\n"
                    "unreadable file).",
                    flags);
    args.parse(argc, argv);
    if (args.has("help")) {
        std::cout << args.help();
        return 0;
    }
    int modes = 0;
    for (auto m : {"udp", "tcp", "pcap", "files"}) modes += args.has(m);
    if (modes != 1)
        throw usage_error("give exactly one of --udp, --tcp, --pcap, --files (got " + std::to_string(modes) +
                          ")");

    verifier_config cfg;
    cfg.format = *find_format(args.get_choice("format", "fixed", {"fixed", "csv", "ndjson"}));
    std::vector<std::string> files;
    if (auto f = args.get("pcap")) files = split_list(*f);
    if (auto f = args.get("files")) files = split_list(*f);
    for (const auto& f : files)
        if (f.empty())
            throw usage_error("--" + std::string(args.has("pcap") ? "pcap" : "files") +
                              ": empty file name in the list");
    if (files.empty()) {
        if (!args.has("partitions")) throw usage_error("--partitions N is required with --udp/--tcp");
        cfg.partitions = static_cast<std::uint32_t>(args.get_u64("partitions", 1, 1, 65535));
    } else {
        cfg.partitions = static_cast<std::uint32_t>(files.size());
        if (args.has("partitions") && args.get_u64("partitions", 1, 1, 65535) != files.size())
            throw usage_error("--partitions " + *args.get("partitions") + " disagrees with the " +
                              std::to_string(files.size()) + " files given");
    }
    if (auto k = args.get("key")) {
        for (const auto& col : split_list(*k)) {
            const auto f = find_trade_field(col);
            if (!f)
                throw usage_error("--key: unknown column '" + col +
                                  "'; expected seq, source, symbol, trader_id or price");
            if (std::find(cfg.key.begin(), cfg.key.end(), *f) != cfg.key.end())
                throw usage_error("--key: column '" + col + "' listed twice");
            cfg.key.push_back(*f);
        }
    }
    if (args.has("expect")) cfg.expect = args.get_u64("expect", 0);
    cfg.max_record_bytes = args.get_u64("max-record-bytes", 1024, 16, 1u << 20);
    cfg.check_price = !args.has("no-price-check");
    cfg.max_details = args.get_u64("details", 10, 0, 100000);

    limits lim;
    lim.grace_ns = args.get_u64("grace-ms", 200, 0, 3600000) * 1000000ULL;
    lim.idle_ns = static_cast<std::uint64_t>(args.get_double("idle-timeout", 2, 0.001, 86400) * 1e9);
    lim.timeout_ns = static_cast<std::uint64_t>(args.get_double("timeout", 60, 0.001, 864000) * 1e9);
    lim.slow_us = args.get_u64("slow-us", 0, 0, 10000000);
    const std::size_t read_bytes = args.get_u64("read-bytes", 262144, 1, 1u << 20);
    const std::size_t batch = args.get_u64("batch", 64, 1, 1024);
    const int rcvbuf = static_cast<int>(args.get_u64("rcvbuf", args.has("udp") ? 33554432 : 0, 0, 1u << 30));
    const auto ready = args.get("ready-file");

    verifier v(cfg);
    run_info info;
    struct sigaction sa {};
    sa.sa_handler = on_signal; // no SA_RESTART: epoll_wait returns EINTR at once
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    // A ready file left by an earlier run would tell a script this sink
    // listens before it does (unlink, not remove: never a directory).
    if (ready && ::unlink(ready->c_str()) != 0 && errno != ENOENT)
        sys_fail("cannot replace the ready file " + *ready);

    const std::uint64_t started = now_ns();
    std::string mode;
    if (auto u = args.get("udp")) {
        mode = "udp";
        run_udp(v, parse_endpoint("udp", *u, cfg.partitions), cfg.partitions, batch, rcvbuf, lim, ready,
                info);
    } else if (auto t = args.get("tcp")) {
        mode = "tcp";
        run_tcp(v, parse_endpoint("tcp", *t, cfg.partitions), cfg.partitions, read_bytes, rcvbuf, lim, ready,
                info);
    } else if (args.has("pcap")) {
        mode = "pcap";
        if (ready) write_ready_file(*ready);
        run_pcap(v, files, !args.has("ignore-checksums"), info);
    } else {
        mode = "files";
        if (ready) write_ready_file(*ready);
        run_files(v, files, info);
    }
    v.finish();
    const std::uint64_t ended = now_ns();

    const double active =
        info.first_data_ns ? static_cast<double>(info.last_data_ns - info.first_data_ns) / 1e9 : 0.0;
    json_writer j;
    j.begin_object();
    j.key("tool").value("shardgate-sink");
    j.key("mode").value(mode);
    v.write_json(j);
    j.key("stop_reason").value(to_string(info.why));
    j.key("seconds").value(active);
    j.key("wall_seconds").value(static_cast<double>(ended - started) / 1e9);
    j.key("records_per_s").value(active > 0 ? static_cast<double>(v.total()) / active : 0.0);
    if (mode == "udp") {
        std::uint64_t total = 0;
        j.key("kernel_drops_per_partition").begin_array();
        for (auto d : info.kernel_drops) {
            j.value(d);
            total += d;
        }
        j.end_array();
        j.key("kernel_drops").value(total);
        j.key("udp_messages").value(info.udp_messages);
        j.key("gro_trains").value(info.gro_trains);
    }
    if (mode == "tcp") {
        j.key("connections").value(info.connections);
        j.key("open_at_stop").value(info.open_at_stop);
        j.key("unfinished_bytes").value(info.unfinished_bytes);
    }
    if (mode == "pcap") j.key("frames_skipped_not_udp").value(info.frames_skipped);
    j.end_object();
    emit_summary(args, j.str());
    return v.passed() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) { return shardgate::tools::tool_main("shardgate-sink", run, argc, argv); }
