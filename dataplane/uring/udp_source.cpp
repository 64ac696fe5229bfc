// io_uring UDP source: one multishot recvmsg on a provided-buffer ring; each
// datagram is handed to the core as one chunk that points into its buffer.

#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "dataplane/uring/endpoints.hpp"
#include "dataplane/uring/net.hpp"

namespace shardgate::detail {
namespace {

// recvmsg multishot writes, into each buffer: a 16-byte io_uring_recvmsg_out,
// then msg_namelen bytes of address (we ask for none), then msg_controllen
// bytes of control messages (room for SO_RXQ_OVFL's drop count), then the
// payload.
constexpr std::uint32_t control_bytes = CMSG_SPACE(sizeof(std::uint32_t));
constexpr std::uint32_t payload_offset = sizeof(io_uring_recvmsg_out) + control_bytes;
static_assert(payload_offset <= 64);
// Where the kernel's buffer starts inside its 64-byte aligned slot, so that
// the payload (the records the decoder reads) starts on a cache line.
constexpr std::uint32_t lead_bytes = 64 - payload_offset;
// 8 MiB socket receive buffer: ~5 ms of a saturated loopback receive, to ride
// out a core that is briefly busy or out of provided buffers.
constexpr int receive_buffer_bytes = 8 << 20;
// Largest UDP payload (IPv4: 65535 - 8 - 20).
constexpr std::uint32_t max_datagram = 65507;

class udp_source final : public socket_source, private completion_handler {
public:
    udp_source(uring_ring& ring, const source_config& cfg, std::string what)
        : ring_(ring), what_(std::move(what)),
          partition_(cfg.partition ? source_partition{*cfg.partition} : unknown_source_partition),
          buffers_(ring, cfg.buffers, check_bytes(cfg.buffer_bytes, what_) + payload_offset, lead_bytes,
                   rx_padding, what_),
          ready_(std::bit_ceil(std::max<std::uint32_t>(cfg.buffers, 2))) {
        const socket_address addr = resolve(cfg.bind, SOCK_DGRAM, true, what_);
        fd_ = make_socket(addr.family(), SOCK_DGRAM, what_);
        // No SO_REUSEADDR: on UDP it would let a second socket bind the same
        // port and silently take part of the traffic; a clash must be an error.
        set_buffer_size(fd_.get(), SO_RCVBUF, receive_buffer_bytes);
        const int one = 1;
        // The kernel's cumulative drop count for this socket, carried with
        // each datagram: datagrams lost before we could read them are counted.
        (void)setsockopt(fd_.get(), SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
        if (::bind(fd_.get(), addr.get(), addr.length) != 0) throw_system(what_, "bind", errno);
        port_ = local_port(fd_.get());
        msg_.msg_namelen = 0;
        msg_.msg_controllen = control_bytes;
        id_ = ring_.attach(*this);
        arm();
    }

    ~udp_source() override {
        if (armed_) ring_.cancel(ring_.user_data(id_, 0));
        (void)ring_.drive_until([this] { return !armed_; }, std::chrono::seconds(1));
        ring_.detach(id_);
        // buffers_ unregisters after this body; fd_ closes last.
    }

    std::size_t poll(std::span<rx_chunk> out, counter_block& counters) noexcept override {
        std::size_t n = 0;
        while (n < out.size() && ready_head_ != ready_tail_) out[n++] = ready_[ready_head_++ & ready_mask()];
        if (pend_datagrams_ != 0) [[likely]] {
            counters.add(counter::datagrams_in, pend_datagrams_);
            pend_datagrams_ = 0;
        }
        if (pend_no_buffer_ != 0) [[unlikely]] {
            counters.add(counter::drop_rx_no_buffer, pend_no_buffer_);
            pend_no_buffer_ = 0;
        }
        if (pend_oversized_ != 0) [[unlikely]] {
            counters.add(counter::malformed_oversized, pend_oversized_);
            pend_oversized_ = 0;
        }
        if (pend_kernel_drops_ != 0) [[unlikely]] {
            counters.add(counter::drop_rx_kernel, pend_kernel_drops_);
            pend_kernel_drops_ = 0;
        }
        buffers_.commit();
        maybe_arm();
        return n;
    }

    void release(std::span<const rx_chunk> chunks) noexcept override {
        for (const rx_chunk& c : chunks) buffers_.recycle(static_cast<std::uint16_t>(c.cookie));
        buffers_.commit();
        maybe_arm();
    }

    [[nodiscard]] bool lossless() const noexcept override { return false; }
    [[nodiscard]] bool finished() const noexcept override {
        return stopped_ && !armed_ && ready_head_ == ready_tail_;
    }
    void stop() noexcept override {
        if (stopped_) return;
        stopped_ = true;
        if (armed_) ring_.cancel(ring_.user_data(id_, 0));
        // Drops after the last datagram we saw carry no SO_RXQ_OVFL: read the
        // socket's drop count once.
        std::uint32_t mem[SK_MEMINFO_VARS] = {};
        socklen_t len = sizeof mem;
        if (getsockopt(fd_.get(), SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 && len > SK_MEMINFO_DROPS * 4)
            note_drops(mem[SK_MEMINFO_DROPS]);
    }
    [[nodiscard]] std::string_view name() const noexcept override { return what_; }
    [[nodiscard]] std::uint16_t bound_port() const noexcept override { return port_; }
    [[nodiscard]] uring_source_status status() const noexcept override {
        uring_source_status s;
        s.kernel_drops = kernel_drops_;
        s.no_buffer = no_buffer_total_;
        s.held_buffers = buffers_.count() - buffers_.available();
        return s;
    }

private:
    static std::uint32_t check_bytes(std::uint32_t bytes, const std::string& what) {
        if (bytes == 0)
            throw std::invalid_argument(what + ": buffer_bytes must be at least 1 (the largest datagram it "
                                               "receives whole), got 0");
        // No datagram is larger than max_datagram: a bigger buffer would only waste memory.
        return std::min(bytes, max_datagram);
    }
    [[nodiscard]] std::uint32_t ready_mask() const noexcept {
        return static_cast<std::uint32_t>(ready_.size() - 1);
    }

    void arm() noexcept {
        io_uring_sqe* sqe = ring_.sqe();
        if (sqe == nullptr) [[unlikely]]
            return; // retried by the next poll/release
        io_uring_prep_recvmsg_multishot(sqe, fd_.get(), &msg_, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = buffers_.group();
        io_uring_sqe_set_data64(sqe, ring_.user_data(id_, 0));
        armed_ = true;
    }
    void maybe_arm() noexcept {
        // Re-arm after -ENOBUFS only once a quarter of the buffers are back,
        // so a core that releases one buffer at a time does not cause a
        // re-arm and an -ENOBUFS per datagram.
        if (!armed_ && !stopped_ && buffers_.available() >= std::max<std::uint32_t>(1, buffers_.count() / 4))
            arm();
    }
    void note_drops(std::uint32_t cumulative) noexcept {
        // The kernel's count is a wrapping u32 of drops since the socket opened.
        const std::uint32_t delta = cumulative - last_drops_;
        last_drops_ = cumulative;
        kernel_drops_ += delta;
        pend_kernel_drops_ += delta;
    }

    void on_completion(std::uint64_t, std::int32_t res, std::uint32_t flags) noexcept override {
        if ((flags & IORING_CQE_F_MORE) == 0) armed_ = false; // re-armed by maybe_arm()
        if ((flags & IORING_CQE_F_BUFFER) == 0) {
            if (res == -ENOBUFS) {
                ++pend_no_buffer_;
                ++no_buffer_total_;
            }
            return; // -ECANCELED after stop(), or a socket error ending the receive
        }
        const auto bid = static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
        buffers_.taken();
        std::byte* buf = buffers_.buffer(bid);
        io_uring_recvmsg_out* o = res > 0 ? io_uring_recvmsg_validate(buf, res, &msg_) : nullptr;
        if (o == nullptr) [[unlikely]] {
            buffers_.recycle(bid);
            return;
        }
        ++pend_datagrams_;
        for (cmsghdr* c = io_uring_recvmsg_cmsg_firsthdr(o, &msg_); c != nullptr;
             c = io_uring_recvmsg_cmsg_nexthdr(o, &msg_, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                std::uint32_t v;
                std::memcpy(&v, CMSG_DATA(c), sizeof v);
                note_drops(v);
            }
        const std::uint32_t length = io_uring_recvmsg_payload_length(o, res, &msg_);
        if ((o->flags & MSG_TRUNC) != 0) [[unlikely]] {
            ++pend_oversized_; // larger than buffer_bytes: records unknown, counted once
            buffers_.recycle(bid);
            return;
        }
        if (length == 0) {
            buffers_.recycle(bid);
            return;
        }
        rx_chunk& c = ready_[ready_tail_++ & ready_mask()];
        c.data = static_cast<const std::byte*>(io_uring_recvmsg_payload(o, &msg_));
        c.length = length;
        c.partition = partition_;
        c.cookie = bid;
        c.flags = chunk_none;
    }

    uring_ring& ring_;
    std::string what_;
    source_partition partition_;
    provided_buffers buffers_;
    unique_fd fd_;
    std::uint16_t port_ = 0;
    std::uint16_t id_ = 0;
    msghdr msg_{};
    // Datagrams harvested and not yet handed out. Each holds a buffer, so
    // `buffers` entries always suffice.
    std::vector<rx_chunk> ready_;
    std::uint32_t ready_head_ = 0;
    std::uint32_t ready_tail_ = 0;
    bool armed_ = false;
    bool stopped_ = false;
    // Counted at completion time, published to the core's counters by poll().
    std::uint64_t pend_datagrams_ = 0;
    std::uint64_t pend_no_buffer_ = 0;
    std::uint64_t pend_oversized_ = 0;
    std::uint64_t pend_kernel_drops_ = 0;
    std::uint64_t no_buffer_total_ = 0;
    std::uint64_t kernel_drops_ = 0;
    std::uint32_t last_drops_ = 0;
};

} // namespace

std::unique_ptr<socket_source> make_udp_source(uring_ring& ring, const source_config& cfg, std::string what) {
    return std::make_unique<udp_source>(ring, cfg, std::move(what));
}

} // namespace shardgate::detail
