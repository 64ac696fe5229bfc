// io_uring sinks: UDP (one block = one datagram), TCP (one ordered stream
// with reconnect), file (ordered writes at the running offset), null.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "dataplane/uring/endpoints.hpp"
#include "dataplane/uring/net.hpp"

namespace shardgate::detail {
namespace {

using clock = std::chrono::steady_clock;

constexpr std::uint32_t slots = uring_sink_slots;
static_assert(std::has_single_bit(slots) && slots <= 32, "slot masks are 32-bit");
constexpr std::uint32_t all_slots = slots == 32 ? ~0u : (1u << slots) - 1;
// close(): how long pending blocks may take to leave before they are counted lost.
constexpr auto close_deadline = std::chrono::seconds(2);
// How long teardown waits for cancelled operations to complete.
constexpr auto cancel_deadline = std::chrono::seconds(1);
// 4 MiB send buffer: room for every in-flight datagram of a sink so sends
// rarely wait for space.
constexpr int send_buffer_bytes = 4 << 20;

/// close() of every io_uring sink: what it holds gets close_deadline to leave
/// (a TCP sink's reconnects included), then the rest is aborted and counted
/// lost. Teardown only: it drives the ring and sleeps.
void drain_then_abort(uring_ring& ring, sink& s, counter_block& counters) noexcept {
    (void)ring.drive_until(
        [&] {
            (void)s.poll(counters);
            return s.idle();
        },
        close_deadline);
    s.abort(counters);
}

/// The blocks of a stream sink (tcp, file) in order; the first may be partly
/// written. Writes go out as one gathered write of everything queued.
class block_queue {
public:
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] bool full() const noexcept { return size_ == slots; }
    [[nodiscard]] std::uint32_t size() const noexcept { return size_; }
    [[nodiscard]] std::uint32_t offset() const noexcept { return offset_; }
    [[nodiscard]] const tx_block& at(std::uint32_t i) const noexcept { return q_[(head_ + i) & (slots - 1)]; }

    void push(const tx_block& b) noexcept { q_[(head_ + size_++) & (slots - 1)] = b; }
    tx_block pop() noexcept {
        const tx_block b = q_[head_];
        head_ = (head_ + 1) & (slots - 1);
        --size_;
        offset_ = 0;
        return b;
    }
    /// Writing starts again at the first block's beginning; returns the bytes
    /// of it that had been written.
    std::uint32_t rewind() noexcept { return std::exchange(offset_, 0); }

    /// iov for everything not yet written; returns the entry count.
    unsigned gather(std::array<iovec, slots>& iov) const noexcept {
        unsigned n = 0;
        for (std::uint32_t i = 0; i < size_; ++i) {
            const tx_block& b = at(i);
            const std::uint32_t skip = i == 0 ? offset_ : 0;
            iov[n].iov_base = const_cast<std::byte*>(b.data) + skip; // the kernel only reads it
            iov[n].iov_len = b.length - skip;
            ++n;
        }
        return n;
    }

    /// `bytes` more were written; `done(block)` for each block now complete.
    /// Returns how many completed.
    template <typename Done>
    std::size_t advance(std::uint64_t bytes, Done done) noexcept {
        std::size_t k = 0;
        while (bytes > 0 && size_ > 0) {
            const std::uint32_t rest = at(0).length - offset_;
            if (bytes < rest) {
                offset_ += static_cast<std::uint32_t>(bytes);
                break;
            }
            bytes -= rest;
            done(pop());
            ++k;
        }
        return k;
    }

private:
    std::array<tx_block, slots> q_{};
    std::uint32_t head_ = 0;
    std::uint32_t size_ = 0;
    std::uint32_t offset_ = 0; // bytes of the first block already written
};

// --- udp ---------------------------------------------------------------------

class udp_sink final : public status_sink, private completion_handler {
public:
    udp_sink(uring_ring& ring, const sink_config& cfg, std::string what)
        : ring_(ring), what_(std::move(what)) {
        const socket_address addr = resolve(cfg.destination, SOCK_DGRAM, false, what_);
        fd_ = make_socket(addr.family(), SOCK_DGRAM, what_);
        set_buffer_size(fd_.get(), SO_SNDBUF, send_buffer_bytes);
        if (::connect(fd_.get(), addr.get(), addr.length) != 0) throw_system(what_, "connect", errno);
        id_ = ring_.attach(*this);
    }
    ~udp_sink() override {
        cancel_all();
        ring_.detach(id_);
    }

    bool submit(const tx_block& b, counter_block&) noexcept override {
        if (size_ == slots) return false;
        const std::uint32_t i = (head_ + size_++) & (slots - 1);
        slot_[i] = b;
        state_[i] = queued;
        return true;
    }

    std::size_t poll(counter_block& counters) noexcept override {
        std::size_t n = 0;
        // Retire finished sends oldest first. A send cancelled because an
        // earlier one of its chain failed goes again, in its place.
        while (size_ > 0 && state_[head_] == done) {
            if (res_[head_] == -ECANCELED) {
                if (in_flight_ > 0) break; // the rest of its chain is still ending
                state_[head_] = queued;
                break;
            }
            // A datagram goes whole or not at all. An error (ECONNREFUSED when
            // nobody listens, EMSGSIZE, ENOBUFS) loses the block, counted.
            if (res_[head_] == static_cast<std::int32_t>(slot_[head_].length))
                sent(slot_[head_], counters);
            else
                lost(slot_[head_], counters);
            head_ = (head_ + 1) & (slots - 1);
            --size_;
            ++n;
        }
        if (in_flight_ == 0) {
            for (std::uint32_t k = 0; k < size_; ++k) {
                const std::uint32_t i = (head_ + k) & (slots - 1);
                if (state_[i] == done && res_[i] == -ECANCELED) state_[i] = queued;
            }
            start_chain();
        }
        return n;
    }

    [[nodiscard]] bool idle() const noexcept override { return size_ == 0; }

    void close(counter_block& counters) noexcept override { drain_then_abort(ring_, *this, counters); }

    void abort(counter_block& counters) noexcept override {
        cancel_all();
        // Cancelled or never sent: counted lost.
        while (size_ > 0) {
            if (state_[head_] == done && res_[head_] == static_cast<std::int32_t>(slot_[head_].length))
                sent(slot_[head_], counters);
            else
                lost(slot_[head_], counters);
            head_ = (head_ + 1) & (slots - 1);
            --size_;
        }
        fd_.reset();
    }

    [[nodiscard]] std::string_view name() const noexcept override { return what_; }
    [[nodiscard]] uring_sink_status status() const noexcept override {
        uring_sink_status s;
        s.held = size_;
        return s;
    }

private:
    enum slot_state : std::uint8_t { queued, sending, done };

    /// Sends every queued block as one chain of linked sends (IOSQE_IO_LINK):
    /// the kernel runs them one after the other, so datagrams leave in order
    /// even when a send has to wait for socket buffer space. A new chain
    /// starts only when the previous one has ended.
    void start_chain() noexcept {
        std::uint32_t count = 0;
        for (std::uint32_t k = 0; k < size_; ++k) count += state_[(head_ + k) & (slots - 1)] == queued;
        if (count == 0 || !ring_.reserve(count)) return; // retried by the next poll
        io_uring_sqe* prev = nullptr;
        for (std::uint32_t k = 0; k < size_; ++k) {
            const std::uint32_t i = (head_ + k) & (slots - 1);
            if (state_[i] != queued) continue;
            io_uring_sqe* sqe = ring_.sqe(); // cannot fail or submit: reserved
            io_uring_prep_send(sqe, fd_.get(), slot_[i].data, slot_[i].length, 0);
            io_uring_sqe_set_data64(sqe, ring_.user_data(id_, i));
            if (prev) prev->flags |= IOSQE_IO_LINK;
            prev = sqe;
            state_[i] = sending;
            ++in_flight_;
        }
    }

    void on_completion(std::uint64_t tag, std::int32_t res, std::uint32_t) noexcept override {
        res_[tag] = res;
        state_[tag] = done;
        --in_flight_;
    }
    void cancel_all() noexcept {
        for (std::uint32_t k = 0; k < size_; ++k) {
            const std::uint32_t i = (head_ + k) & (slots - 1);
            if (state_[i] == sending) ring_.cancel(ring_.user_data(id_, i));
        }
        (void)ring_.drive_until([&] { return in_flight_ == 0; }, cancel_deadline);
    }

    uring_ring& ring_;
    std::string what_;
    unique_fd fd_;
    std::uint16_t id_ = 0;
    std::array<tx_block, slots> slot_{};
    std::array<std::int32_t, slots> res_{};
    std::array<slot_state, slots> state_{};
    std::uint32_t head_ = 0;      // oldest block held
    std::uint32_t size_ = 0;      // blocks held, in order
    std::uint32_t in_flight_ = 0; // sends in the kernel
};

// --- tcp ---------------------------------------------------------------------

class tcp_sink final : public status_sink, private completion_handler {
public:
    tcp_sink(uring_ring& ring, const sink_config& cfg, std::string what)
        : ring_(ring), what_(std::move(what)), addr_(resolve(cfg.destination, SOCK_STREAM, false, what_)) {
        id_ = ring_.attach(*this);
        start_connect();
    }
    ~tcp_sink() override {
        cancel_all();
        ring_.detach(id_);
    }

    bool submit(const tx_block& b, counter_block&) noexcept override {
        // While disconnected, blocks wait in their lane: backpressure, not loss.
        if (state_ != link::up || queue_.full()) return false;
        queue_.push(b);
        if (!send_busy_ && !send_done_) start_send();
        return true;
    }

    std::size_t poll(counter_block& counters) noexcept override {
        std::size_t n = 0;
        if (connect_done_) {
            connect_done_ = false;
            if (state_ == link::connecting) {
                if (connect_res_ == 0)
                    connected();
                else
                    fail();
            }
        }
        if (send_done_) {
            send_done_ = false;
            // A send that completes while the link is closing is not trusted:
            // its blocks are sent again from the start on the next connection.
            if (state_ == link::up) {
                if (send_res_ > 0) {
                    n += queue_.advance(static_cast<std::uint64_t>(send_res_),
                                        [&](const tx_block& b) { sent(b, counters); });
                    backoff_ = initial_backoff;
                } else {
                    fail(); // EPIPE, ECONNRESET, ...
                }
            }
        }
        if (hangup_) {
            hangup_ = false;
            if (state_ == link::up) fail();
        }
        if (state_ == link::closing && !connect_busy_ && !send_busy_ && !watch_busy_) {
            fd_.reset();
            state_ = link::waiting;
            retry_at_ = clock::now() + backoff_;
            backoff_ = std::min(backoff_ * 2, max_backoff);
        }
        if (state_ == link::waiting && clock::now() >= retry_at_) start_connect();
        if (state_ == link::up && !send_busy_ && !queue_.empty()) start_send();
        return n;
    }

    [[nodiscard]] bool idle() const noexcept override { return queue_.empty(); }

    void close(counter_block& counters) noexcept override { drain_then_abort(ring_, *this, counters); }

    void abort(counter_block& counters) noexcept override {
        closing_for_good_ = true;
        cancel_all();
        while (!queue_.empty()) lost(queue_.pop(), counters);
        fd_.reset();
        state_ = link::waiting;
    }

    [[nodiscard]] std::string_view name() const noexcept override { return what_; }
    [[nodiscard]] uring_sink_status status() const noexcept override {
        uring_sink_status s;
        s.connected = state_ == link::up;
        s.connects = connects_;
        s.resent_bytes = resent_bytes_;
        s.held = queue_.size();
        return s;
    }

private:
    enum class link : std::uint8_t {
        connecting, ///< a connect is in flight
        up,         ///< connected: sends and the hang-up watch are armed as needed
        closing,    ///< failed: waiting for in-flight operations to end
        waiting,    ///< closed: reconnect at retry_at_
    };
    enum tag : std::uint64_t { connect_tag = 1, send_tag = 2, watch_tag = 3 };
    static constexpr auto initial_backoff = std::chrono::milliseconds(10);
    static constexpr auto max_backoff = std::chrono::milliseconds(1000);

    // The *_busy_ flags say an operation is in the kernel; *_done_ that its
    // result waits for poll(). Nothing new starts while either is set.
    void on_completion(std::uint64_t t, std::int32_t res, std::uint32_t) noexcept override {
        switch (t) {
        case connect_tag:
            connect_busy_ = false;
            connect_done_ = true;
            connect_res_ = res;
            break;
        case send_tag:
            send_busy_ = false;
            send_done_ = true;
            send_res_ = res;
            break;
        case watch_tag:
            watch_busy_ = false;
            if (res != -ECANCELED) hangup_ = true;
            break;
        default:
            break;
        }
    }

    void start_connect() noexcept {
        if (closing_for_good_) return;
        const int fd = ::socket(addr_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        io_uring_sqe* sqe = fd >= 0 ? ring_.sqe() : nullptr;
        if (sqe == nullptr) [[unlikely]] { // out of descriptors: try again after the backoff
            if (fd >= 0) ::close(fd);
            state_ = link::closing;
            return;
        }
        fd_.reset(fd);
        const int one = 1;
        // Blocks are large and whole; do not hold a block's tail back for Nagle.
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        io_uring_prep_connect(sqe, fd, addr_.get(), addr_.length);
        io_uring_sqe_set_data64(sqe, ring_.user_data(id_, connect_tag));
        connect_busy_ = true;
        state_ = link::connecting;
    }

    void connected() noexcept {
        state_ = link::up;
        ++connects_;
        // A block partly written on the previous connection goes again whole.
        resent_bytes_ += queue_.rewind();
        // The peer closing (or resetting) its side is noticed at once, not by
        // the next send, which the kernel would accept and then lose.
        if (io_uring_sqe* sqe = ring_.sqe(); sqe != nullptr) {
            io_uring_prep_poll_add(sqe, fd_.get(), POLLRDHUP);
            io_uring_sqe_set_data64(sqe, ring_.user_data(id_, watch_tag));
            watch_busy_ = true;
        }
    }

    void start_send() noexcept {
        io_uring_sqe* sqe = ring_.sqe();
        if (sqe == nullptr) [[unlikely]]
            return; // retried by the next poll
        msg_.msg_iov = iov_.data();
        msg_.msg_iovlen = queue_.gather(iov_);
        // One gathered send of everything queued; a short send is continued
        // from where it stopped by the next start_send. MSG_NOSIGNAL: a dead
        // peer is an EPIPE result, not a SIGPIPE.
        io_uring_prep_sendmsg(sqe, fd_.get(), &msg_, MSG_NOSIGNAL);
        io_uring_sqe_set_data64(sqe, ring_.user_data(id_, send_tag));
        send_busy_ = true;
    }

    void fail() noexcept {
        state_ = link::closing;
        if (connect_busy_) ring_.cancel(ring_.user_data(id_, connect_tag));
        if (send_busy_) ring_.cancel(ring_.user_data(id_, send_tag));
        if (watch_busy_) ring_.cancel(ring_.user_data(id_, watch_tag));
    }

    void cancel_all() noexcept {
        fail();
        (void)ring_.drive_until([&] { return !connect_busy_ && !send_busy_ && !watch_busy_; },
                                cancel_deadline);
        connect_done_ = send_done_ = hangup_ = false;
    }

    uring_ring& ring_;
    std::string what_;
    socket_address addr_;
    unique_fd fd_;
    std::uint16_t id_ = 0;
    link state_ = link::waiting;
    block_queue queue_;
    std::array<iovec, slots> iov_{};
    msghdr msg_{};
    bool connect_busy_ = false, send_busy_ = false, watch_busy_ = false;
    bool connect_done_ = false, send_done_ = false, hangup_ = false;
    bool closing_for_good_ = false;
    std::int32_t connect_res_ = 0;
    std::int32_t send_res_ = 0;
    std::chrono::milliseconds backoff_ = initial_backoff;
    clock::time_point retry_at_{};
    std::uint64_t connects_ = 0;
    std::uint64_t resent_bytes_ = 0;
};

// --- file --------------------------------------------------------------------

class file_sink final : public status_sink, private completion_handler {
public:
    file_sink(uring_ring& ring, const sink_config& cfg, std::string what)
        : ring_(ring), what_(std::move(what)) {
        if (cfg.path.empty()) throw std::invalid_argument(what_ + ": a file sink needs a path");
        // Created or truncated: each run's output stands alone.
        const int fd = ::open(cfg.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) throw_system(what_, "open " + cfg.path, errno);
        fd_.reset(fd);
        id_ = ring_.attach(*this);
    }
    ~file_sink() override {
        drain_in_flight();
        ring_.detach(id_);
    }

    bool submit(const tx_block& b, counter_block& counters) noexcept override {
        if (failed_) { // after a write error nothing more is written: no holes
            lost(b, counters);
            return true;
        }
        if (queue_.full()) return false;
        queue_.push(b);
        if (!busy_ && !done_) start_write();
        return true;
    }

    std::size_t poll(counter_block& counters) noexcept override {
        std::size_t n = 0;
        if (done_) {
            done_ = false;
            if (res_ > 0) {
                offset_ += static_cast<std::uint64_t>(res_);
                n += queue_.advance(static_cast<std::uint64_t>(res_),
                                    [&](const tx_block& b) { sent(b, counters); });
            } else { // ENOSPC, EIO, EFBIG...; 0 would never progress
                failed_ = true;
                error_ = res_ == 0 ? EIO : -res_;
                while (!queue_.empty()) {
                    lost(queue_.pop(), counters);
                    ++n;
                }
            }
        }
        if (!busy_ && !queue_.empty()) start_write();
        return n;
    }

    [[nodiscard]] bool idle() const noexcept override { return queue_.empty(); }

    void close(counter_block& counters) noexcept override { drain_then_abort(ring_, *this, counters); }

    void abort(counter_block& counters) noexcept override {
        drain_in_flight();
        while (!queue_.empty()) lost(queue_.pop(), counters);
        fd_.reset();
    }

    [[nodiscard]] std::string_view name() const noexcept override { return what_; }
    [[nodiscard]] uring_sink_status status() const noexcept override {
        uring_sink_status s;
        s.connected = !failed_;
        s.held = queue_.size();
        return s;
    }

private:
    // busy_: the write is in the kernel; done_: its result waits for poll().
    // No new write starts while either is set.
    void on_completion(std::uint64_t, std::int32_t res, std::uint32_t) noexcept override {
        busy_ = false;
        done_ = true;
        res_ = res;
    }
    void start_write() noexcept {
        io_uring_sqe* sqe = ring_.sqe();
        if (sqe == nullptr) [[unlikely]]
            return;
        const unsigned n = queue_.gather(iov_);
        // One write at a time, at the running offset: blocks land in order
        // (parallel writes to one file are serialised by the kernel anyway);
        // a short write is continued by the next one.
        io_uring_prep_writev(sqe, fd_.get(), iov_.data(), n, offset_);
        io_uring_sqe_set_data64(sqe, ring_.user_data(id_, 0));
        busy_ = true;
    }
    void drain_in_flight() noexcept {
        if (busy_) ring_.cancel(ring_.user_data(id_, 0));
        (void)ring_.drive_until([&] { return !busy_; }, cancel_deadline);
    }

    uring_ring& ring_;
    std::string what_;
    unique_fd fd_;
    std::uint16_t id_ = 0;
    block_queue queue_;
    std::array<iovec, slots> iov_{};
    std::uint64_t offset_ = 0;
    bool busy_ = false, done_ = false, failed_ = false;
    std::int32_t res_ = 0;
    int error_ = 0;
};

// --- null --------------------------------------------------------------------

class null_sink final : public status_sink {
public:
    explicit null_sink(std::string what) : what_(std::move(what)) {}
    bool submit(const tx_block& b, counter_block& counters) noexcept override {
        sent(b, counters);
        return true;
    }
    std::size_t poll(counter_block&) noexcept override { return 0; }
    [[nodiscard]] bool idle() const noexcept override { return true; }
    [[nodiscard]] std::string_view name() const noexcept override { return what_; }
    [[nodiscard]] uring_sink_status status() const noexcept override { return {}; }

private:
    std::string what_;
};

} // namespace

std::unique_ptr<status_sink> make_udp_sink(uring_ring& ring, const sink_config& cfg, std::string what) {
    return std::make_unique<udp_sink>(ring, cfg, std::move(what));
}
std::unique_ptr<status_sink> make_tcp_sink(uring_ring& ring, const sink_config& cfg, std::string what) {
    return std::make_unique<tcp_sink>(ring, cfg, std::move(what));
}
std::unique_ptr<status_sink> make_file_sink(uring_ring& ring, const sink_config& cfg, std::string what) {
    return std::make_unique<file_sink>(ring, cfg, std::move(what));
}
std::unique_ptr<status_sink> make_null_sink(std::string what) {
    return std::make_unique<null_sink>(std::move(what));
}

} // namespace shardgate::detail
