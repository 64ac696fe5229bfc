#pragma once
/// Internal to dataplane/uring: address resolution and socket setup for the
/// io_uring sources and sinks. Setup only (may allocate and throw).

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "shardgate/config.hpp"

namespace shardgate::detail {

/// A resolved socket address.
struct socket_address {
    sockaddr_storage storage{};
    socklen_t length = 0;
    [[nodiscard]] int family() const noexcept { return storage.ss_family; }
    [[nodiscard]] const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
};

/// Resolves `ep` for `socktype` (SOCK_DGRAM, SOCK_STREAM). `passive`: an
/// address to bind (an empty host or "*" means every IPv4 address). Throws
/// std::runtime_error "<what>: resolve <host>: <reason>".
socket_address resolve(const endpoint& ep, int socktype, bool passive, const std::string& what);

/// Throws std::runtime_error "<what>: <call>: <strerror(err)>".
[[noreturn]] void throw_system(const std::string& what, std::string_view call, int err);

/// An owned file descriptor.
class unique_fd {
public:
    unique_fd() noexcept = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
    int release() noexcept {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

/// A non-blocking, close-on-exec socket. Throws via throw_system.
unique_fd make_socket(int family, int socktype, const std::string& what);

/// Sets SO_RCVBUF / SO_SNDBUF to `bytes`, with the *FORCE variant when
/// allowed (root ignores net.core.rmem_max/wmem_max). Best effort.
void set_buffer_size(int fd, int option, int bytes) noexcept;

/// The local port `fd` is bound to (0 when unknown).
std::uint16_t local_port(int fd) noexcept;

} // namespace shardgate::detail
