#pragma once
// Loopback helpers for the io_uring source and sink tests: plain blocking or
// non-blocking sockets on 127.0.0.1 playing the peer, and a pump that drives
// a context until a condition holds (bounded so a bug fails, never hangs).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/uring/uring.hpp"

namespace uring_test {

using namespace std::chrono_literals;

/// Polls `ctx` and checks `done()` until it holds; sleeps in ctx.wait
/// between rounds. False when `limit` passed first (a failure, not a timing
/// assertion: the limit only keeps a broken test from hanging).
template <typename Done>
bool pump(shardgate::uring_context& ctx, Done done, std::chrono::milliseconds limit = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        ctx.poll();
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        ctx.wait(500);
    }
}

inline sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/// An owned descriptor.
struct fd_guard {
    int fd = -1;
    fd_guard() = default;
    explicit fd_guard(int f) : fd(f) {}
    fd_guard(fd_guard&& o) noexcept : fd(o.fd) { o.fd = -1; }
    fd_guard& operator=(fd_guard&& o) noexcept {
        if (this != &o) {
            reset();
            fd = o.fd;
            o.fd = -1;
        }
        return *this;
    }
    ~fd_guard() { reset(); }
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

inline void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

inline void set_nonblocking(int fd) {
    check(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0, "fcntl");
}

/// A UDP socket sending to 127.0.0.1:port.
inline fd_guard udp_sender(std::uint16_t port) {
    fd_guard s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    check(s.fd >= 0, "socket");
    const sockaddr_in a = loopback(port);
    check(::connect(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0, "connect");
    return s;
}

/// A UDP socket bound to 127.0.0.1 on an ephemeral port, with a large buffer.
inline fd_guard udp_receiver(std::uint16_t& port) {
    fd_guard s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    check(s.fd >= 0, "socket");
    const int big = 8 << 20;
    (void)setsockopt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    sockaddr_in a = loopback(0);
    check(::bind(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0, "bind");
    socklen_t len = sizeof a;
    check(getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len) == 0, "getsockname");
    port = ntohs(a.sin_port);
    return s;
}

/// A TCP connection to 127.0.0.1:port (blocking connect, then as asked).
inline fd_guard tcp_client(std::uint16_t port, bool nonblocking = false) {
    fd_guard s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    check(s.fd >= 0, "socket");
    const int one = 1;
    (void)setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const sockaddr_in a = loopback(port);
    check(::connect(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0, "connect");
    if (nonblocking) set_nonblocking(s.fd);
    return s;
}

/// A non-blocking TCP listener on 127.0.0.1:port (0: ephemeral; the chosen
/// port is written back). SO_REUSEADDR so a test can listen again on a port.
inline fd_guard tcp_listener(std::uint16_t& port) {
    fd_guard s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    check(s.fd >= 0, "socket");
    const int one = 1;
    (void)setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = loopback(port);
    check(::bind(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0, "bind");
    check(::listen(s.fd, 16) == 0, "listen");
    socklen_t len = sizeof a;
    check(getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len) == 0, "getsockname");
    port = ntohs(a.sin_port);
    return s;
}

/// Writes all of `data` to a blocking socket.
inline void write_all(int fd, const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        const ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
        check(k > 0, "send");
        p += k;
        n -= static_cast<std::size_t>(k);
    }
}
inline void write_all(int fd, const std::string& s) { write_all(fd, s.data(), s.size()); }

/// Reads what is available from a non-blocking socket into `out`; false at EOF.
inline bool read_available(int fd, std::string& out) {
    char buf[65536];
    for (;;) {
        const ssize_t k = ::recv(fd, buf, sizeof buf, 0);
        if (k > 0) {
            out.append(buf, static_cast<std::size_t>(k));
            continue;
        }
        if (k == 0) return false;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        return false;
    }
}

/// Where two byte strings first differ (npos when equal), for messages
/// that do not print megabytes.
inline std::size_t first_difference(const std::string& a, const std::string& b) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return i;
    return a.size() == b.size() ? std::string::npos : n;
}

/// Fixed test records of `size` bytes: the stream, tag and sequence number
/// at the front, then bytes derived from them, so any misplaced byte shows.
inline std::string fixed_record(std::uint32_t size, std::uint32_t stream, std::uint32_t seq) {
    std::string r(size, '\0');
    std::memcpy(r.data(), &stream, std::min<std::size_t>(4, size));
    if (size >= 8) std::memcpy(r.data() + 4, &seq, 4);
    for (std::uint32_t i = 8; i < size; ++i) r[i] = static_cast<char>('a' + (stream * 7 + seq * 13 + i) % 26);
    return r;
}

} // namespace uring_test
