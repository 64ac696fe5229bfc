// shardgate-gen: deterministic trade traffic for shardgate's tests, demo and
// benchmarks, over UDP (sendmmsg batches of multi-record datagrams), TCP
// (blocking writes: a slow receiver slows it down), a pcap file or a plain
// file. See docs/tools.md.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/common/cli.hpp"
#include "tools/common/generator.hpp"
#include "tools/common/json.hpp"
#include "tools/common/pcap.hpp"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 // linux/udp.h; absent from older libc headers
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

using namespace shardgate::tools;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

std::uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

void sleep_until_ns(std::uint64_t t) {
    timespec ts{static_cast<time_t>(t / 1000000000ULL), static_cast<long>(t % 1000000000ULL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR && !g_stop.load()) {
    }
}

const std::vector<flag_spec> flags = {
    {"udp", "HOST:PORT", "", "send datagrams to HOST:PORT (one of --udp, --tcp, --pcap, --file)"},
    {"tcp", "HOST:PORT", "", "stream to HOST:PORT over TCP"},
    {"pcap", "FILE", "", "write Ethernet/IPv4 (or IPv6)/UDP frames, one datagram per frame, to a pcap file"},
    {"file", "FILE", "", "write the record stream (stream framing) to a file"},
    {"ports", "K", "1",
     "spread over ports PORT..PORT+K-1: datagram d to PORT + d % K; TCP: K connections, "
     "chunk c to connection c % K"},
    {"format", "F", "fixed", "record format: fixed, csv or ndjson"},
    {"records", "N", "", "total records, malformed ones included (required, >= 1)"},
    {"rate", "R", "0", "records/s limit; 0 = as fast as possible"},
    {"keys", "K", "1000", "symbol cardinality: symbols \"S\" + zero-padded index, up to 1e11"},
    {"traders", "T", "100", "trader_id cardinality"},
    {"dist", "D", "uniform", "symbol distribution: uniform or zipf"},
    {"zipf-s", "S", "1.1", "zipf exponent (> 0)"},
    {"sources", "S", "4", "source partitions: each record's source is uniform in [0, S)"},
    {"first-source", "F", "0",
     "source ids start at F: F..F+S-1 (generators feeding one router side by side keep their keys apart)"},
    {"source-by-key", "P", "random",
     "how source is chosen: random (uniform in [0, S)) or kafka_murmur2 (Kafka's default partition of the "
     "symbol "
     "over S: (murmur2(symbol) & 0x7fffffff) % S, the alignment smart_repartition recognises)"},
    {"seed", "X", "1", "random seed: the same flags give byte-identical output"},
    {"datagram-bytes", "B", "1472",
     "UDP/pcap payload limit, whole records only (format's largest record .. 65507)"},
    {"batch", "N", "64", "messages per sendmmsg call (1..1024)"},
    {"gso", "N", "0",
     "UDP GSO: up to N equal-size datagrams per message, split by the kernel (UDP_SEGMENT); "
     "train t goes to port PORT + t % K; 0 = off, at most 64"},
    {"malformed-every", "K", "0",
     "replace every K-th record by a malformed one (0 = none); reasons cycle through "
     "--malformed-reasons"},
    {"malformed-reasons", "LIST", "all the format can express",
     "comma-separated subset of truncated (fixed, UDP/pcap only), syntax, missing_key, oversized (csv, "
     "ndjson)"},
    {"oversized-bytes", "N", "1200", "length of an oversized malformed record (must fit --datagram-bytes)"},
    {"no-final-newline", "", "",
     "csv/ndjson datagrams: omit the last record's newline (allowed by the framing)"},
    {"pregenerate", "", "",
     "UDP/TCP: build every datagram or chunk in memory before the clock starts, so the send loop "
     "measures the kernel path alone (needs about records x record size of memory)"},
    {"tcp-chunk-bytes", "N", "65536", "bytes of whole records per TCP write (and per --file write)"},
    {"connect-timeout", "S", "5", "TCP: keep retrying the connection for S seconds"},
    {"close-timeout", "S", "10",
     "TCP: after the last write, wait up to S seconds for the receiver to read "
     "everything and close"},
    {"sndbuf", "BYTES", "UDP 4194304, TCP the kernel's autotuning", "socket send buffer"},
    {"src-mac", "MAC", "02:00:00:00:00:01", "pcap: source MAC"},
    {"dst-mac", "MAC", "02:00:00:00:00:02", "pcap: destination MAC"},
    {"src-ip", "IP", "10.0.0.1", "pcap: source address; IPv6 (fd00::1) writes IPv6 frames"},
    {"dst-ip", "IP", "10.0.0.2", "pcap: destination address, of the same family as --src-ip"},
    {"src-port", "PORT", "40000", "pcap: UDP source port"},
    {"dst-port", "PORT", "9000", "pcap: UDP destination port (with --ports K: PORT..PORT+K-1)"},
    {"summary-json", "FILE", "", "also write the summary JSON to FILE"},
    {"help", "", "", "print this help"},
};

struct run_stats {
    std::uint64_t datagrams = 0; ///< datagrams or frames (UDP, pcap), writes (TCP, file)
    std::uint64_t bytes = 0;
    std::uint64_t records = 0; ///< records handed to the kernel or written
    std::uint64_t started_ns = 0;
    std::uint64_t finished_ns = 0;
    bool drained = true; ///< TCP: the receiver read everything and closed
};

/// Paces to `rate` records/s by sleeping until the time the next record is due.
class pacer {
public:
    explicit pacer(std::uint64_t rate) : rate_(rate) {}
    void start(std::uint64_t t) { start_ = t; }
    /// Records per batch so that one batch is about 1 ms of traffic.
    [[nodiscard]] std::uint64_t batch_records() const {
        return rate_ ? std::max<std::uint64_t>(1, rate_ / 1000) : UINT64_MAX;
    }
    void after(std::uint64_t records_sent) {
        if (!rate_) return;
        const auto due = start_ + static_cast<std::uint64_t>(static_cast<long double>(records_sent) * 1e9L /
                                                             static_cast<long double>(rate_));
        if (due > now_ns()) sleep_until_ns(due);
    }

private:
    std::uint64_t rate_;
    std::uint64_t start_ = 0;
};

/// Datagrams (or stream chunks) laid out back to back in one buffer, ready to
/// send without copying: a GSO train is a slice of consecutive datagrams.
struct prepared {
    struct item {
        std::size_t offset;
        std::uint32_t bytes;
        std::uint32_t records;
    };
    std::vector<char> bytes;
    std::vector<item> items;
    void clear() {
        bytes.clear();
        items.clear();
    }
};

/// Appends up to `max_items` datagrams (or chunks), `max_records` records in
/// all, from the packer.
void prepare(record_packer& packer, bool datagrams, std::size_t limit, std::size_t max_items,
             std::uint64_t max_records, prepared& out) {
    std::uint64_t records = 0;
    while (out.items.size() < max_items && records < max_records && !packer.done()) {
        const std::size_t at = out.bytes.size();
        out.bytes.resize(at + limit);
        const auto p = datagrams ? packer.next_datagram(out.bytes.data() + at, limit, max_records - records)
                                 : packer.next_chunk(out.bytes.data() + at, limit, max_records - records);
        out.bytes.resize(at + p.bytes);
        if (p.bytes == 0) break;
        out.items.push_back({at, static_cast<std::uint32_t>(p.bytes), static_cast<std::uint32_t>(p.records)});
        records += p.records;
    }
}

/// Sends prepared datagrams with sendmmsg, pacing per call. Without GSO each
/// message is one datagram, datagram d going to port d % K. With GSO (`gso`
/// > 0) a message is a train of up to `gso` consecutive datagrams of one
/// size (a shorter one ends a train) that the kernel splits (UDP_SEGMENT),
/// train t going to port t % K: the sender pays per train, the receiver per
/// datagram (or per train with UDP_GRO).
class udp_sender {
public:
    udp_sender(const std::vector<endpoint>& dests, std::size_t batch, std::size_t gso, int sndbuf)
        : dests_(dests), batch_(batch), gso_(gso), iov_(batch), msgs_(batch), control_(batch * cbuf) {
        fd_ = socket(dests[0].family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) sys_fail("socket");
        if (sndbuf > 0 && setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0)
            setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    }
    ~udp_sender() { close(fd_); }
    udp_sender(const udp_sender&) = delete;
    udp_sender& operator=(const udp_sender&) = delete;

    /// Sends every prepared datagram; stops early on SIGINT/SIGTERM.
    void send(const prepared& p, pacer& pace, run_stats& st) {
        std::size_t i = 0;
        while (i < p.items.size() && !g_stop.load(std::memory_order_relaxed)) {
            std::size_t n = 0;
            std::uint64_t records = 0;
            std::uint64_t datagrams = 0;
            const std::uint64_t cap = pace.batch_records();
            while (n < batch_ && i < p.items.size() && records < cap) {
                const std::size_t first = i;
                const std::size_t seg = p.items[i].bytes;
                std::size_t total = 0;
                do { // one train (one datagram without GSO)
                    total += p.items[i].bytes;
                    records += p.items[i].records;
                    ++i;
                } while (gso_ && i < p.items.size() && i - first < gso_ && p.items[i - 1].bytes == seg &&
                         p.items[i].bytes <= seg && total + p.items[i].bytes <= max_udp_payload);
                const std::size_t count = i - first;
                const endpoint& to =
                    dests_[(gso_ ? messages_ + n : st.datagrams + datagrams) % dests_.size()];
                iov_[n] = {const_cast<char*>(p.bytes.data() + p.items[first].offset), total};
                msgs_[n] = {};
                msgs_[n].msg_hdr.msg_name = const_cast<sockaddr_storage*>(&to.addr);
                msgs_[n].msg_hdr.msg_namelen = to.length;
                msgs_[n].msg_hdr.msg_iov = &iov_[n];
                msgs_[n].msg_hdr.msg_iovlen = 1;
                if (count > 1) {
                    msgs_[n].msg_hdr.msg_control = control_.data() + n * cbuf;
                    msgs_[n].msg_hdr.msg_controllen = cbuf;
                    cmsghdr* cm = CMSG_FIRSTHDR(&msgs_[n].msg_hdr);
                    cm->cmsg_level = SOL_UDP;
                    cm->cmsg_type = UDP_SEGMENT;
                    cm->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
                    const auto seg16 = static_cast<std::uint16_t>(seg);
                    std::memcpy(CMSG_DATA(cm), &seg16, sizeof seg16);
                }
                datagrams += count;
                st.bytes += total;
                ++n;
            }
            send_all(n);
            messages_ += n;
            st.datagrams += datagrams;
            records_ += records;
            st.records = records_;
            pace.after(records_);
        }
    }

private:
    static constexpr std::size_t cbuf = CMSG_SPACE(sizeof(std::uint16_t));

    void send_all(std::size_t n) {
        std::size_t off = 0;
        while (off < n) {
            const int r = sendmmsg(fd_, msgs_.data() + off, static_cast<unsigned>(n - off), 0);
            if (r < 0) {
                if (errno == EINTR) continue;
                if (errno == ENOBUFS || errno == EAGAIN) { // local queue full: wait for it to drain
                    pollfd pfd{fd_, POLLOUT, 0};
                    poll(&pfd, 1, 10);
                    continue;
                }
                sys_fail("sendmmsg to " + dests_[0].to_string() +
                         (dests_.size() > 1 ? " (and following ports)" : ""));
            }
            off += static_cast<std::size_t>(r);
        }
    }

    const std::vector<endpoint>& dests_;
    std::size_t batch_;
    std::size_t gso_;
    int fd_ = -1;
    std::vector<iovec> iov_;
    std::vector<mmsghdr> msgs_;
    std::vector<char> control_;
    std::uint64_t messages_ = 0;
    std::uint64_t records_ = 0;
};

void send_udp(record_packer& packer, const std::vector<endpoint>& dests, std::size_t limit, std::size_t batch,
              std::size_t gso, int sndbuf, bool pregenerate, pacer& pace, run_stats& st) {
    udp_sender sender(dests, batch, gso, sndbuf);
    prepared p;
    if (pregenerate) prepare(packer, true, limit, SIZE_MAX, UINT64_MAX, p);
    st.started_ns = now_ns();
    pace.start(st.started_ns);
    if (pregenerate) {
        sender.send(p, pace, st);
    } else {
        p.bytes.reserve(batch * std::max<std::size_t>(gso, 1) * limit);
        while (!packer.done() && !g_stop.load(std::memory_order_relaxed)) {
            p.clear();
            prepare(packer, true, limit, batch * std::max<std::size_t>(gso, 1), pace.batch_records(), p);
            sender.send(p, pace, st);
        }
    }
    st.finished_ns = now_ns();
}

int connect_with_retry(const endpoint& e, std::uint64_t deadline_ns, int sndbuf) {
    for (;;) {
        const int fd = socket(e.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) sys_fail("socket");
        if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        if (connect(fd, reinterpret_cast<const sockaddr*>(&e.addr), e.length) == 0) return fd;
        const int err = errno;
        close(fd);
        if (g_stop.load()) throw std::runtime_error("interrupted while connecting to " + e.to_string());
        if (now_ns() >= deadline_ns ||
            (err != ECONNREFUSED && err != EINTR && err != ETIMEDOUT && err != EAGAIN)) {
            errno = err;
            sys_fail("cannot connect to " + e.to_string() + " (tried until --connect-timeout)");
        }
        usleep(20000);
    }
}

void write_all(int fd, const char* p, std::size_t n, const std::string& to) {
    while (n > 0) {
        const ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            sys_fail("write to " + to);
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

void send_tcp(record_packer& packer, const std::vector<endpoint>& dests, std::size_t chunk,
              std::uint64_t connect_timeout_s, std::uint64_t close_timeout_s, int sndbuf, bool pregenerate,
              pacer& pace, run_stats& st) {
    std::vector<int> fds;
    const std::uint64_t deadline = now_ns() + connect_timeout_s * 1000000000ULL;
    for (const auto& d : dests) fds.push_back(connect_with_retry(d, deadline, sndbuf));
    prepared p;
    if (pregenerate) prepare(packer, false, chunk, SIZE_MAX, UINT64_MAX, p);
    std::uint64_t records = 0;
    st.started_ns = now_ns();
    pace.start(st.started_ns);
    auto write_prepared = [&] {
        for (const auto& item : p.items) {
            if (g_stop.load(std::memory_order_relaxed)) return;
            const std::size_t c = st.datagrams % fds.size();
            write_all(fds[c], p.bytes.data() + item.offset, item.bytes, dests[c].to_string());
            ++st.datagrams;
            st.bytes += item.bytes;
            records += item.records;
            st.records = records;
            pace.after(records);
        }
    };
    if (pregenerate) {
        write_prepared();
    } else {
        while (!packer.done() && !g_stop.load(std::memory_order_relaxed)) {
            p.clear();
            prepare(packer, false, chunk, 1, pace.batch_records(), p);
            write_prepared();
        }
    }
    st.finished_ns = now_ns();
    // Close cleanly: FIN after the last byte, then wait for the receiver to
    // read everything and close its side, so nothing is cut off by a reset.
    for (int fd : fds) shutdown(fd, SHUT_WR);
    const std::uint64_t close_deadline = now_ns() + close_timeout_s * 1000000000ULL;
    for (int fd : fds) {
        char sink[4096];
        for (;;) {
            const std::uint64_t now = now_ns();
            if (now >= close_deadline) {
                st.drained = false;
                break;
            }
            pollfd pfd{fd, POLLIN, 0};
            const int r =
                poll(&pfd, 1,
                     static_cast<int>(std::min<std::uint64_t>((close_deadline - now) / 1000000 + 1, 1000)));
            if (r < 0 && errno != EINTR) break;
            if (r <= 0) continue;
            const ssize_t n = read(fd, sink, sizeof sink);
            if (n <= 0) break; // EOF (or reset): the receiver is done with us
        }
        close(fd);
    }
}

void write_pcap(record_packer& packer, const std::string& path, udp_endpoints addrs, std::uint32_t ports,
                std::size_t limit, std::uint64_t rate, run_stats& st) {
    pcap_writer w(path);
    std::vector<char> payload(limit);
    std::vector<char> frame;
    std::uint64_t records = 0;
    const std::uint16_t base_port = addrs.dst_port;
    // Virtual time, so the file depends on the flags only: frames 1 µs apart,
    // or at the pace --rate gives; starting 2023-11-14 22:13:20 UTC.
    const std::uint64_t epoch_ns = 1'700'000'000ULL * 1'000'000'000ULL;
    st.started_ns = now_ns();
    while (!packer.done() && !g_stop.load(std::memory_order_relaxed)) {
        const auto p = packer.next_datagram(payload.data(), limit);
        if (p.bytes == 0) break;
        addrs.dst_port = static_cast<std::uint16_t>(base_port + st.datagrams % ports);
        frame.clear();
        build_udp_frame(addrs, static_cast<std::uint16_t>(st.datagrams), {payload.data(), p.bytes}, frame);
        const std::uint64_t ts = rate ? static_cast<std::uint64_t>(static_cast<long double>(records) * 1e9L /
                                                                   static_cast<long double>(rate))
                                      : st.datagrams * 1000;
        w.write_frame({frame.data(), frame.size()}, epoch_ns + ts);
        ++st.datagrams;
        st.bytes += p.bytes;
        records += p.records;
        st.records = records;
    }
    w.close();
    st.finished_ns = now_ns();
}

void write_file(record_packer& packer, const std::string& path, std::size_t chunk, pacer& pace,
                run_stats& st) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) sys_fail("cannot create " + path);
    std::vector<char> buf(chunk);
    std::uint64_t records = 0;
    st.started_ns = now_ns();
    pace.start(st.started_ns);
    while (!packer.done() && !g_stop.load(std::memory_order_relaxed)) {
        const auto p = packer.next_chunk(buf.data(), chunk, pace.batch_records());
        if (p.bytes == 0) break;
        out.write(buf.data(), static_cast<std::streamsize>(p.bytes));
        ++st.datagrams;
        st.bytes += p.bytes;
        records += p.records;
        st.records = records;
        pace.after(records);
    }
    out.close();
    if (!out) sys_fail("cannot write " + path);
    st.finished_ns = now_ns();
}

int run(int argc, char** argv) {
    arg_parser args(
        "shardgate-gen",
        "(--udp HOST:PORT | --tcp HOST:PORT | --pcap FILE | --file FILE) --records N [flags]\n\n"
        "Generates trade records (docs/record-formats.md) with a per-(source, symbol) seq and\n"
        "prints one JSON summary line: records sent (valid, malformed per reason), datagrams,\n"
        "seconds, records/s and MB/s. Exit 0 when all were sent, 1 when interrupted (SIGINT/SIGTERM),\n"
        "2 on bad flags, 3 on I/O errors.",
        flags);
    args.parse(argc, argv);
    if (args.has("help")) {
        std::cout << args.help();
        return 0;
    }
    int destinations = 0;
    for (auto d : {"udp", "tcp", "pcap", "file"}) destinations += args.has(d);
    if (destinations != 1)
        throw usage_error("give exactly one destination: --udp, --tcp, --pcap or --file (got " +
                          std::to_string(destinations) + ")");
    if (!args.has("records")) throw usage_error("--records N is required");

    generator_config cfg;
    cfg.format = *find_format(args.get_choice("format", "fixed", {"fixed", "csv", "ndjson"}));
    cfg.records = args.get_u64("records", 0, 1);
    cfg.keys = args.get_u64("keys", 1000, 1, max_keys);
    cfg.traders = args.get_u64("traders", 100, 1);
    cfg.dist = args.get_choice("dist", "uniform", {"uniform", "zipf"}) == "zipf" ? key_dist::zipf
                                                                                 : key_dist::uniform;
    cfg.zipf_s = args.get_double("zipf-s", 1.1, 1e-6, 100);
    cfg.sources = static_cast<std::uint32_t>(args.get_u64("sources", 4, 1, UINT32_MAX));
    cfg.first_source =
        static_cast<std::uint32_t>(args.get_u64("first-source", 0, 0, UINT32_MAX - (cfg.sources - 1)));
    cfg.seed = args.get_u64("seed", 1);
    cfg.source_by = args.get_choice("source-by-key", "random", {"random", "kafka_murmur2"}) == "kafka_murmur2"
                        ? source_mode::kafka_murmur2
                        : source_mode::random;
    cfg.malformed_every = args.get_u64("malformed-every", 0);
    cfg.oversized_bytes = args.get_u64("oversized-bytes", 1200, 1, max_udp_payload);
    cfg.datagrams = args.has("udp") || args.has("pcap");
    if (auto list = args.get("malformed-reasons")) {
        for (const auto& name : split_list(*list)) {
            malformed_reason r = malformed_reason::none;
            for (auto c : {malformed_reason::truncated, malformed_reason::syntax,
                           malformed_reason::missing_key, malformed_reason::oversized})
                if (name == to_string(c)) r = c;
            if (r == malformed_reason::none)
                throw usage_error("--malformed-reasons: unknown reason '" + name +
                                  "'; expected truncated, syntax, missing_key or oversized");
            cfg.malformed_reasons.push_back(r);
        }
    }
    const auto ports = static_cast<std::uint32_t>(args.get_u64("ports", 1, 1, 65535));
    const std::size_t limit =
        args.get_u64("datagram-bytes", 1472, max_valid_record_size(cfg.format), max_udp_payload);
    const std::size_t batch = args.get_u64("batch", 64, 1, 1024);
    const std::size_t gso = args.get_u64("gso", 0, 0, 64);
    if (gso && !args.has("udp")) throw usage_error("--gso applies to --udp only");
    const std::uint64_t rate = args.get_u64("rate", 0);
    const std::size_t chunk = args.get_u64("tcp-chunk-bytes", 65536, 4096, 64u << 20);
    const int sndbuf = static_cast<int>(args.get_u64("sndbuf", args.has("udp") ? 4194304 : 0, 0, 1u << 30));
    const bool final_newline = !args.has("no-final-newline");
    const bool pregenerate = args.has("pregenerate");
    if (pregenerate && !args.has("udp") && !args.has("tcp"))
        throw usage_error("--pregenerate applies to --udp and --tcp only");

    std::unique_ptr<record_generator> gen;
    try {
        gen = std::make_unique<record_generator>(cfg);
    } catch (const std::invalid_argument& e) {
        throw usage_error(e.what());
    }
    if (cfg.datagrams && gen->max_record_bytes() > limit)
        throw usage_error("--datagram-bytes " + std::to_string(limit) +
                          " is smaller than the largest record this run " + "produces (" +
                          std::to_string(gen->max_record_bytes()) +
                          " bytes, see --oversized-bytes); every datagram must hold whole records");

    if (pregenerate && static_cast<long double>(cfg.records) * gen->max_record_bytes() > 16.0L * (1ULL << 30))
        throw usage_error(
            "--pregenerate would need up to " +
            std::to_string(static_cast<unsigned long long>(cfg.records * gen->max_record_bytes() >> 30)) +
            " GiB of memory (over the 16 GiB limit); lower --records");

    std::signal(SIGPIPE, SIG_IGN);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    record_packer packer(*gen, final_newline);
    pacer pace(rate);
    run_stats st;
    std::string destination;
    // An I/O failure mid-run (the receiver went away) still prints the
    // summary, with what was sent and the error, then exits 3.
    std::string error;
    auto send_io = [&](auto&& send) {
        try {
            send();
        } catch (const usage_error&) {
            throw;
        } catch (const std::exception& e) {
            error = e.what();
            st.drained = false;
            if (!st.started_ns) st.started_ns = now_ns();
            st.finished_ns = now_ns();
        }
    };
    if (auto u = args.get("udp")) {
        const endpoint base = parse_endpoint("udp", *u, ports);
        std::vector<endpoint> dests;
        for (std::uint32_t k = 0; k < ports; ++k)
            dests.push_back(base.with_port_offset(static_cast<std::uint16_t>(k)));
        destination = "udp://" + base.to_string();
        send_io([&] { send_udp(packer, dests, limit, batch, gso, sndbuf, pregenerate, pace, st); });
    } else if (auto t = args.get("tcp")) {
        const endpoint base = parse_endpoint("tcp", *t, ports);
        std::vector<endpoint> dests;
        for (std::uint32_t k = 0; k < ports; ++k)
            dests.push_back(base.with_port_offset(static_cast<std::uint16_t>(k)));
        destination = "tcp://" + base.to_string();
        const auto connect_s = args.get_u64("connect-timeout", 5, 0, 3600);
        const auto close_s = args.get_u64("close-timeout", 10, 0, 3600);
        send_io([&] { send_tcp(packer, dests, chunk, connect_s, close_s, sndbuf, pregenerate, pace, st); });
    } else if (auto p = args.get("pcap")) {
        udp_endpoints a;
        try {
            a.src_mac = parse_mac(args.get("src-mac").value_or("02:00:00:00:00:01"));
            a.dst_mac = parse_mac(args.get("dst-mac").value_or("02:00:00:00:00:02"));
            set_ip_addresses(a, args.get("src-ip").value_or("10.0.0.1"),
                             args.get("dst-ip").value_or("10.0.0.2"));
        } catch (const std::invalid_argument& e) {
            throw usage_error(e.what());
        }
        a.src_port = static_cast<std::uint16_t>(args.get_u64("src-port", 40000, 1, 65535));
        a.dst_port = static_cast<std::uint16_t>(args.get_u64("dst-port", 9000, 1, 65535));
        if (a.dst_port + ports - 1 > 65535) throw usage_error("--dst-port plus --ports runs past port 65535");
        destination = "pcap://" + *p;
        send_io([&] { write_pcap(packer, *p, a, ports, limit, rate, st); });
    } else {
        const std::string path = *args.get("file");
        destination = "file://" + path;
        send_io([&] { write_file(packer, path, chunk, pace, st); });
    }

    const double seconds = static_cast<double>(st.finished_ns - st.started_ns) / 1e9;
    const std::uint64_t sent = st.records;
    json_writer j;
    j.begin_object();
    j.key("tool").value("shardgate-gen");
    j.key("destination").value(destination);
    j.key("ports").value(ports);
    j.key("format").value(to_string(cfg.format));
    j.key("seed").value(cfg.seed);
    j.key("records").value(sent);
    j.key("valid").value(gen->valid());
    j.key("malformed").begin_object();
    std::uint64_t bad = 0;
    for (auto r : {malformed_reason::truncated, malformed_reason::syntax, malformed_reason::missing_key,
                   malformed_reason::oversized}) {
        j.key(to_string(r)).value(gen->malformed(r));
        bad += gen->malformed(r);
    }
    j.key("total").value(bad);
    j.end_object();
    j.key(cfg.datagrams ? "datagrams" : "writes").value(st.datagrams);
    j.key("bytes").value(st.bytes);
    j.key("seconds").value(seconds);
    j.key("records_per_s").value(seconds > 0 ? static_cast<double>(sent) / seconds : 0.0);
    j.key("mb_per_s").value(seconds > 0 ? static_cast<double>(st.bytes) / seconds / 1e6 : 0.0);
    j.key("complete").value(packer.done() && error.empty());
    if (!error.empty()) j.key("error").value(error);
    if (args.has("tcp")) j.key("drained").value(st.drained);
    j.end_object();
    emit_summary(args, j.str());
    if (!error.empty()) {
        std::cerr << "shardgate-gen: " << error << '\n';
        return 3;
    }
    return packer.done() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) { return shardgate::tools::tool_main("shardgate-gen", run, argc, argv); }
