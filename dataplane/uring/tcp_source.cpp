// io_uring TCP source: multishot accept; per connection a multishot recv on
// a provided-buffer ring shared by the source's connections; the byte stream
// is cut into chunks of whole records.
//
// Reassembly without copying the common case: the whole records inside a
// received buffer are handed out in place (the chunk's cookie is the buffer
// id); only a record that spans buffers is copied, into one of the
// connection's two carry buffers, and handed out from there. Two carry
// buffers let a connection start its next partial record while the core
// still holds the last completed one.

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
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

constexpr std::uint64_t accept_tag = 0;              // recv of connection slot s: tag 1 + s
constexpr std::uint32_t carry_cookie = 0x8000'0000u; // | slot << 1 | which carry buffer
// Largest record a carry buffer holds (fixed record_size, or max_record_bytes
// + '\n'); two per connection slot.
constexpr std::uint32_t max_carry = 16u << 20;
constexpr std::uint32_t slots = uring_tcp_max_connections;
static_assert(slots <= 64, "needs_arm_ is a 64-bit mask");

class tcp_source final : public socket_source, private completion_handler {
public:
    tcp_source(uring_ring& ring, const source_config& cfg, const record_format& format, std::string what)
        : ring_(ring), what_(std::move(what)),
          partition_(cfg.partition ? source_partition{*cfg.partition} : unknown_source_partition),
          text_(format.line_framed()), record_size_(format.record_size), max_line_(format.max_record_bytes),
          carry_capacity_(check_framing(format, what_)),
          // 64-byte aligned carry buffers with rx_padding readable bytes after the largest record.
          carry_stride_((std::size_t{carry_capacity_} + rx_padding + 63) / 64 * 64),
          buffers_(ring, cfg.buffers, check_bytes(cfg.buffer_bytes, what_), 0, rx_padding, what_),
          fifo_(std::bit_ceil(cfg.buffers + slots)) {
        const socket_address addr = resolve(cfg.bind, SOCK_STREAM, true, what_);
        listener_ = make_socket(addr.family(), SOCK_STREAM, what_);
        const int one = 1;
        // A restarted router can listen again while old connections linger in TIME_WAIT.
        (void)setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(listener_.get(), addr.get(), addr.length) != 0) throw_system(what_, "bind", errno);
        if (::listen(listener_.get(), SOMAXCONN) != 0) throw_system(what_, "listen", errno);
        port_ = local_port(listener_.get());

        // Carry memory for every slot, reserved now and touched only when a
        // connection needs it: memory stays flat whatever the peers do.
        carry_bytes_ = carry_stride_ * 2 * slots;
        // MAP_NORESERVE: 128 carry buffers of a large record size are a big
        // reservation of which only what connections touch is ever backed.
        void* mem = mmap(nullptr, carry_bytes_, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (mem == MAP_FAILED) throw_system(what_, "mmap (reassembly buffers)", errno);
        carry_ = static_cast<std::byte*>(mem);
        try {
            id_ = ring_.attach(*this);
        } catch (...) {
            munmap(carry_, carry_bytes_);
            throw;
        }
        arm_accept();
    }

    ~tcp_source() override {
        if (accept_armed_) ring_.cancel(ring_.user_data(id_, accept_tag));
        for (std::uint32_t s = 0; s < slots; ++s)
            if (conns_[s].armed) ring_.cancel(ring_.user_data(id_, 1 + s));
        (void)ring_.drive_until([this] { return !accept_armed_ && armed_count() == 0; },
                                std::chrono::seconds(1));
        ring_.detach(id_);
        for (connection& c : conns_)
            if (c.fd >= 0) ::close(c.fd);
        munmap(carry_, carry_bytes_);
    }

    std::size_t poll(std::span<rx_chunk> out, counter_block&) noexcept override {
        arm_pending();
        std::size_t n = 0;
        while (fifo_head_ != fifo_tail_) {
            segment& s = fifo_[fifo_head_ & fifo_mask()];
            connection& c = conns_[s.conn];
            if (!(s.end ? end_connection(c, s.conn, out, n) : consume(c, s, out, n))) break;
            ++fifo_head_;
        }
        buffers_.commit();
        return n;
    }

    void release(std::span<const rx_chunk> chunks) noexcept override {
        for (const rx_chunk& ch : chunks) {
            if ((ch.cookie & carry_cookie) != 0) {
                const std::uint32_t slot = (ch.cookie & ~carry_cookie) >> 1;
                connection& c = conns_[slot];
                c.held[ch.cookie & 1] = false;
                maybe_free(c);
            } else {
                buffers_.recycle(static_cast<std::uint16_t>(ch.cookie));
            }
        }
        buffers_.commit();
        arm_pending();
    }

    [[nodiscard]] bool lossless() const noexcept override { return true; }
    [[nodiscard]] bool finished() const noexcept override {
        return stopped_ && !accept_armed_ && live_ == 0 && fifo_head_ == fifo_tail_;
    }

    void stop() noexcept override {
        if (stopped_) return;
        stopped_ = true;
        if (accept_armed_)
            ring_.cancel(ring_.user_data(id_, accept_tag));
        else
            listener_.reset();
        needs_arm_ = 0;
        for (std::uint32_t s = 0; s < slots; ++s) {
            connection& c = conns_[s];
            if (!c.in_use || c.ended) continue;
            if (c.armed)
                ring_.cancel(ring_.user_data(id_, 1 + s)); // ends with -ECANCELED: end queued then
            else
                end_of_data(s);
        }
    }

    [[nodiscard]] std::string_view name() const noexcept override { return what_; }
    [[nodiscard]] std::uint16_t bound_port() const noexcept override { return port_; }
    [[nodiscard]] uring_source_status status() const noexcept override {
        uring_source_status st;
        st.no_buffer = no_buffer_;
        st.held_buffers = buffers_.count() - buffers_.available();
        st.connections = live_;
        st.accepted = accepted_;
        st.rejected = rejected_;
        return st;
    }

private:
    struct connection {
        int fd = -1;
        bool in_use = false;
        bool armed = false;      // a multishot recv is in flight
        bool ended = false;      // its receive ended for good; an end segment is queued
        bool closed = false;     // the end segment was processed and the socket closed
        bool discarding = false; // text: inside an oversized line, skipping to its '\n'
        bool ready = false;      // the active carry holds a complete record to hand out
        std::uint8_t ready_flags = chunk_none;
        std::uint8_t active = 0;    // carry buffer being filled
        std::uint32_t fill = 0;     // bytes in the active carry buffer
        std::array<bool, 2> held{}; // carry buffer handed to the core, not yet released
    };
    // Received data of one connection, or the end of its data, in arrival order.
    struct segment {
        std::uint16_t conn = 0;
        std::uint16_t bid = 0;
        std::uint32_t offset = 0; // bytes already consumed
        std::uint32_t length = 0;
        bool end = false;
        bool handed = false; // the buffer is held by an in-place chunk
    };

    static std::uint32_t check_framing(const record_format& f, const std::string& what) {
        if (!f.line_framed()) {
            if (f.record_size == 0 || f.record_size > max_carry)
                throw std::invalid_argument(what + ": format.record_size must be in 1.." +
                                            std::to_string(max_carry) + " for a tcp source, got " +
                                            std::to_string(f.record_size));
            return f.record_size;
        }
        if (f.max_record_bytes == 0 || f.max_record_bytes >= max_carry)
            throw std::invalid_argument(what + ": format.max_record_bytes must be in 1.." +
                                        std::to_string(max_carry - 1) + " for a tcp source, got " +
                                        std::to_string(f.max_record_bytes));
        return f.max_record_bytes + 1; // the line and its '\n'
    }
    static std::uint32_t check_bytes(std::uint32_t bytes, const std::string& what) {
        if (bytes == 0 || bytes > (64u << 20))
            throw std::invalid_argument(what + ": buffer_bytes must be in 1.." + std::to_string(64u << 20) +
                                        ", got " + std::to_string(bytes));
        return bytes;
    }

    [[nodiscard]] std::uint32_t fifo_mask() const noexcept {
        return static_cast<std::uint32_t>(fifo_.size() - 1);
    }
    [[nodiscard]] std::byte* carry(std::uint32_t slot, std::uint32_t which) const noexcept {
        return carry_ + (std::size_t{slot} * 2 + which) * carry_stride_;
    }
    [[nodiscard]] std::uint32_t armed_count() const noexcept {
        std::uint32_t k = 0;
        for (const connection& c : conns_) k += c.armed ? 1 : 0;
        return k;
    }

    // --- arming -----------------------------------------------------------
    void arm_accept() noexcept {
        io_uring_sqe* sqe = ring_.sqe();
        if (sqe == nullptr) [[unlikely]]
            return;
        io_uring_prep_multishot_accept(sqe, listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        io_uring_sqe_set_data64(sqe, ring_.user_data(id_, accept_tag));
        accept_armed_ = true;
    }
    void arm_recv(std::uint32_t slot) noexcept {
        io_uring_sqe* sqe = ring_.sqe();
        if (sqe == nullptr) [[unlikely]]
            return;
        io_uring_prep_recv_multishot(sqe, conns_[slot].fd, nullptr, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = buffers_.group();
        io_uring_sqe_set_data64(sqe, ring_.user_data(id_, 1 + slot));
        conns_[slot].armed = true;
        needs_arm_ &= ~(std::uint64_t{1} << slot);
    }
    void arm_pending() noexcept {
        if (stopped_) return;
        if (!accept_armed_ && live_ < slots)
            arm_accept();
        else if (accept_armed_ && live_ >= slots && !accept_cancelled_) {
            // Full: stop accepting; new connections wait in the backlog.
            ring_.cancel(ring_.user_data(id_, accept_tag));
            accept_cancelled_ = true;
        }
        // After -ENOBUFS, re-arm once a quarter of the buffers are back, so
        // a trickle of releases does not cause an -ENOBUFS per receive.
        if (needs_arm_ != 0 && buffers_.available() >= std::max<std::uint32_t>(1, buffers_.count() / 4))
            for (std::uint64_t m = needs_arm_; m != 0; m &= m - 1)
                arm_recv(static_cast<std::uint32_t>(std::countr_zero(m)));
    }

    // --- completions --------------------------------------------------------
    void on_completion(std::uint64_t tag, std::int32_t res, std::uint32_t flags) noexcept override {
        const bool more = (flags & IORING_CQE_F_MORE) != 0;
        if (tag == accept_tag) {
            if (!more) {
                accept_armed_ = false;
                accept_cancelled_ = false;
                if (stopped_) listener_.reset();
            }
            if (res >= 0) take_connection(res);
            return;
        }
        const auto slot = static_cast<std::uint32_t>(tag - 1);
        connection& c = conns_[slot];
        if ((flags & IORING_CQE_F_BUFFER) != 0) {
            const auto bid = static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
            buffers_.taken();
            if (res > 0) {
                segment& s = fifo_[fifo_tail_++ & fifo_mask()];
                s = segment{};
                s.conn = static_cast<std::uint16_t>(slot);
                s.bid = bid;
                s.length = static_cast<std::uint32_t>(res);
            } else {
                buffers_.recycle(bid);
            }
        }
        if (more) return;
        c.armed = false;
        if (res == -ENOBUFS) ++no_buffer_;
        // -ENOBUFS (no buffer: backpressure) or a multishot receive the kernel
        // ended with data: the connection goes on and is re-armed. EOF (0),
        // an error or a cancel: its data ends here.
        if ((res == -ENOBUFS || res > 0) && !stopped_)
            needs_arm_ |= std::uint64_t{1} << slot;
        else
            end_of_data(slot);
    }

    void take_connection(int fd) noexcept {
        if (stopped_ || live_ >= slots) {
            ::close(fd); // accepted while full or stopping: the peer sees a reset
            ++rejected_;
            return;
        }
        std::uint32_t slot = 0;
        while (conns_[slot].in_use) ++slot;
        conns_[slot] = connection{};
        conns_[slot].fd = fd;
        conns_[slot].in_use = true;
        ++live_;
        ++accepted_;
        needs_arm_ |= std::uint64_t{1} << slot;
    }

    void end_of_data(std::uint32_t slot) noexcept {
        connection& c = conns_[slot];
        if (c.ended) return;
        c.ended = true;
        needs_arm_ &= ~(std::uint64_t{1} << slot);
        segment& s = fifo_[fifo_tail_++ & fifo_mask()];
        s = segment{};
        s.conn = static_cast<std::uint16_t>(slot);
        s.end = true;
    }

    void maybe_free(connection& c) noexcept {
        if (c.in_use && c.closed && !c.held[0] && !c.held[1]) {
            c.in_use = false;
            --live_;
        }
    }

    // --- reassembly ---------------------------------------------------------
    void emit_carry(connection& c, std::uint32_t slot, rx_chunk& out, std::uint8_t flags) noexcept {
        out.data = carry(slot, c.active);
        out.length = c.fill;
        out.partition = partition_;
        out.cookie = carry_cookie | (slot << 1) | c.active;
        out.flags = flags;
        c.held[c.active] = true;
        c.active ^= 1;
        c.fill = 0;
        c.ready = false;
    }

    // The end of a connection's data: a trailing partial record (fixed) or a
    // last line without '\n' (text) is handed over as it is.
    bool end_connection(connection& c, std::uint32_t slot, std::span<rx_chunk> out, std::size_t& n) noexcept {
        if (c.ready || c.fill > 0) { // (the active carry is never held while it fills)
            if (n == out.size()) return false;
            emit_carry(c, slot, out[n++], c.ready ? c.ready_flags : std::uint8_t{chunk_none});
        }
        ::close(c.fd);
        c.fd = -1;
        c.closed = true;
        maybe_free(c);
        return true;
    }

    // Cuts segment `s` into chunks. False when it must wait (no room in
    // `out`, or the carry buffer it needs is still with the core); it resumes
    // at s.offset on the next poll.
    bool consume(connection& c, segment& s, std::span<rx_chunk> out, std::size_t& n) noexcept {
        const std::uint32_t slot = s.conn;
        for (;;) {
            if (c.ready) { // a complete record waits in the active carry buffer
                if (n == out.size()) return false;
                emit_carry(c, slot, out[n++], c.ready_flags);
                continue;
            }
            std::byte* p = buffers_.buffer(s.bid) + s.offset;
            const std::uint32_t len = s.length - s.offset;
            if (len == 0) {
                if (!s.handed) buffers_.recycle(s.bid);
                return true;
            }
            if (c.discarding) { // the rest of an oversized line
                const void* nl = std::memchr(p, '\n', len);
                if (nl == nullptr) {
                    s.offset += len;
                } else {
                    s.offset += static_cast<std::uint32_t>(static_cast<const std::byte*>(nl) - p) + 1;
                    c.discarding = false;
                }
                continue;
            }
            if (c.fill > 0) { // complete the record begun in an earlier buffer
                s.offset += text_ ? complete_line(c, slot, p, len) : complete_fixed(c, slot, p, len);
                continue;
            }
            // At a record boundary: whole records are handed out in place.
            std::uint32_t whole = 0;
            if (text_) {
                const void* nl = memrchr(p, '\n', len);
                if (nl != nullptr)
                    whole = static_cast<std::uint32_t>(static_cast<const std::byte*>(nl) - p) + 1;
            } else {
                whole = len - len % record_size_;
            }
            // A tail after the whole records goes to the active carry buffer,
            // which must be free before the in-place chunk is handed out: once
            // the core releases that chunk, the kernel may refill the buffer.
            const bool tail = whole < len;
            if (tail && c.held[c.active]) return false;
            if (whole > 0) {
                if (n == out.size()) return false;
                rx_chunk& ch = out[n++];
                ch.data = p;
                ch.length = whole;
                ch.partition = partition_;
                ch.cookie = s.bid;
                ch.flags = chunk_none;
                s.handed = true;
                s.offset += whole;
                continue;
            }
            // The beginning of a record that goes on in the next buffer.
            const std::uint32_t k = text_ ? std::min(len, max_line_) : len;
            std::memcpy(carry(slot, c.active), p, k);
            c.fill = k;
            if (text_ && len > max_line_) oversized(c);
            s.offset += len; // an oversized line's rest is skipped by discarding
        }
    }

    std::uint32_t complete_fixed(connection& c, std::uint32_t slot, const std::byte* p,
                                 std::uint32_t len) noexcept {
        const std::uint32_t k = std::min(record_size_ - c.fill, len);
        std::memcpy(carry(slot, c.active) + c.fill, p, k);
        c.fill += k;
        if (c.fill == record_size_) {
            c.ready = true;
            c.ready_flags = chunk_none;
        }
        return k;
    }

    std::uint32_t complete_line(connection& c, std::uint32_t slot, const std::byte* p,
                                std::uint32_t len) noexcept {
        const std::uint32_t room = max_line_ + 1 - c.fill; // line bytes still allowed, '\n' included
        const void* nl = std::memchr(p, '\n', std::min(len, room));
        if (nl != nullptr) {
            const auto k = static_cast<std::uint32_t>(static_cast<const std::byte*>(nl) - p) + 1;
            std::memcpy(carry(slot, c.active) + c.fill, p, k);
            c.fill += k;
            c.ready = true;
            c.ready_flags = chunk_none;
            return k;
        }
        if (len < room) {
            std::memcpy(carry(slot, c.active) + c.fill, p, len);
            c.fill += len;
            return len;
        }
        const std::uint32_t k = max_line_ - c.fill; // no '\n' within the limit: too long
        std::memcpy(carry(slot, c.active) + c.fill, p, k);
        c.fill = max_line_;
        oversized(c);
        return k;
    }

    // The active carry holds the first max_record_bytes of a longer line: hand
    // it over once, flagged, and skip the rest of the line.
    static void oversized(connection& c) noexcept {
        c.ready = true;
        c.ready_flags = chunk_oversized;
        c.discarding = true;
    }

    uring_ring& ring_;
    std::string what_;
    source_partition partition_;
    bool text_;
    std::uint32_t record_size_;
    std::uint32_t max_line_;
    std::uint32_t carry_capacity_;
    std::size_t carry_stride_;
    provided_buffers buffers_;
    // Capacity: every data segment holds a buffer, and each slot queues at
    // most one end segment per connection it serves.
    std::vector<segment> fifo_;
    std::uint32_t fifo_head_ = 0;
    std::uint32_t fifo_tail_ = 0;
    std::array<connection, slots> conns_{};
    std::byte* carry_ = nullptr;
    std::size_t carry_bytes_ = 0;
    unique_fd listener_;
    std::uint16_t port_ = 0;
    std::uint16_t id_ = 0;
    std::uint64_t needs_arm_ = 0; // slots whose receive must be (re-)armed
    std::uint32_t live_ = 0;      // slots in use
    bool accept_armed_ = false;
    bool accept_cancelled_ = false;
    bool stopped_ = false;
    std::uint64_t accepted_ = 0;
    std::uint64_t rejected_ = 0;
    std::uint64_t no_buffer_ = 0;
};

} // namespace

std::unique_ptr<socket_source> make_tcp_source(uring_ring& ring, const source_config& cfg,
                                               const record_format& format, std::string what) {
    return std::make_unique<tcp_source>(ring, cfg, format, std::move(what));
}

} // namespace shardgate::detail
