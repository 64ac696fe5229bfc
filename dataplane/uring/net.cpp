#include "dataplane/uring/net.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace shardgate::detail {

socket_address resolve(const endpoint& ep, int socktype, bool passive, const std::string& what) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = socktype;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    const bool any = ep.host.empty() || ep.host == "*";
    if (any && !passive) throw std::runtime_error(what + ": resolve: a destination needs a host");
    if (any) hints.ai_family = AF_INET;
    const std::string port = std::to_string(ep.port);
    addrinfo* res = nullptr;
    const int r = getaddrinfo(any ? nullptr : ep.host.c_str(), port.c_str(), &hints, &res);
    if (r != 0)
        throw std::runtime_error(what + ": resolve " + (any ? std::string("*") : ep.host) + ": " +
                                 (r == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(r)));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, &freeaddrinfo);
    socket_address a;
    std::memcpy(&a.storage, res->ai_addr, res->ai_addrlen);
    a.length = res->ai_addrlen;
    return a;
}

void throw_system(const std::string& what, std::string_view call, int err) {
    throw std::runtime_error(what + ": " + std::string(call) + ": " + std::strerror(err));
}

void unique_fd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

unique_fd make_socket(int family, int socktype, const std::string& what) {
    const int fd = ::socket(family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw_system(what, "socket", errno);
    return unique_fd(fd);
}

void set_buffer_size(int fd, int option, int bytes) noexcept {
    const int force = option == SO_RCVBUF ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;
    if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof bytes) == 0) return;
    (void)setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes); // capped by net.core.*mem_max
}

std::uint16_t local_port(int fd) noexcept {
    sockaddr_storage s{};
    socklen_t len = sizeof s;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len) != 0) return 0;
    if (s.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&s)->sin_port);
    if (s.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&s)->sin6_port);
    return 0;
}

} // namespace shardgate::detail
