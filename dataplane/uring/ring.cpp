#include "dataplane/uring/ring.hpp"

#include <sys/mman.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace shardgate::detail {
namespace {

// Completions harvested per io_uring_peek_batch_cqe; one CQ advance each.
constexpr unsigned harvest_batch = 64;
// Batches per poll(): bounds the time one poll spends dispatching so the
// loop gets back to its sources and sinks (8 x 64 = 512 completions).
constexpr unsigned harvest_rounds = 8;

int try_init(io_uring& ring, unsigned entries, unsigned flags) {
    io_uring_params p{};
    p.flags = flags | IORING_SETUP_CQSIZE;
    p.cq_entries = entries * 8;
    return io_uring_queue_init_params(entries, &ring, &p);
}

std::size_t round_up(std::size_t v, std::size_t to) { return (v + to - 1) / to * to; }

} // namespace

uring_ring::uring_ring(const uring_options& options) : handlers_(1, nullptr) {
    const unsigned entries = options.entries;
    if (entries == 0 || entries > 32768)
        throw std::invalid_argument("io_uring entries must be in 1..32768, got " + std::to_string(entries));
    // SINGLE_ISSUER: only the owning thread submits (it is made on that
    // thread), which lets the kernel skip locking. TASKRUN_FLAG: the kernel
    // raises IORING_SQ_TASKRUN when completion work is pending, so an idle
    // poll() can skip the system call.
    constexpr unsigned base =
        IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_TASKRUN_FLAG;
    int r = -EINVAL;
    if (options.taskrun == uring_taskrun::deferred) {
        r = try_init(ring_, entries, base | IORING_SETUP_DEFER_TASKRUN);
        taskrun_ = uring_taskrun::deferred;
    }
    if (r == -EINVAL) { // cooperative asked for, or no DEFER_TASKRUN (before 6.1)
        r = try_init(ring_, entries, base | IORING_SETUP_COOP_TASKRUN);
        taskrun_ = uring_taskrun::cooperative;
        if (r == -EINVAL) // no SINGLE_ISSUER (before 6.0)
            r = try_init(ring_, entries, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
    }
    if (r == -ENOSYS || r == -EPERM)
        throw uring_unavailable("io_uring_queue_init(" + std::to_string(entries) +
                                " entries): " + std::strerror(-r) +
                                (r == -EPERM ? " (io_uring disabled: kernel.io_uring_disabled or seccomp)"
                                             : " (kernel built without io_uring)"));
    if (r < 0)
        throw std::runtime_error("io_uring_queue_init(" + std::to_string(entries) +
                                 " entries): " + std::strerror(-r));
}

uring_ring::~uring_ring() { io_uring_queue_exit(&ring_); }

std::uint16_t uring_ring::attach(completion_handler& h) {
    for (std::size_t i = 1; i < handlers_.size(); ++i)
        if (handlers_[i] == nullptr) {
            handlers_[i] = &h;
            return static_cast<std::uint16_t>(i);
        }
    if (handlers_.size() > 0xffff)
        throw std::length_error("an io_uring context serves at most 65535 sources and sinks");
    handlers_.push_back(&h);
    return static_cast<std::uint16_t>(handlers_.size() - 1);
}

void uring_ring::detach(std::uint16_t id) noexcept {
    if (id < handlers_.size()) handlers_[id] = nullptr;
}

io_uring_sqe* uring_ring::sqe() noexcept {
    io_uring_sqe* s = io_uring_get_sqe(&ring_);
    if (s == nullptr) [[unlikely]] {
        enter();
        s = io_uring_get_sqe(&ring_);
    }
    return s;
}

bool uring_ring::reserve(unsigned n) noexcept {
    if (io_uring_sq_space_left(&ring_) >= n) return true;
    enter();
    return io_uring_sq_space_left(&ring_) >= n;
}

void uring_ring::cancel(std::uint64_t ud) noexcept {
    io_uring_sqe* s = sqe();
    if (s == nullptr) return;
    io_uring_prep_cancel64(s, ud, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(s, 0);
    s->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

void uring_ring::enter() noexcept {
    // Submits what is queued and, with GETEVENTS, runs pending completion
    // work (with DEFER_TASKRUN this and wait() are the only places it runs).
    (void)io_uring_submit_and_get_events(&ring_);
    ++enters_;
}

std::size_t uring_ring::poll() noexcept {
    const unsigned kflags = IO_URING_READ_ONCE(*ring_.sq.kflags);
    if (io_uring_sq_ready(&ring_) != 0 || (kflags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0)
        enter();

    std::size_t total = 0;
    io_uring_cqe* cqes[harvest_batch];
    for (unsigned round = 0; round < harvest_rounds; ++round) {
        const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, harvest_batch);
        for (unsigned i = 0; i < n; ++i) {
            const std::uint64_t ud = cqes[i]->user_data;
            const std::size_t id = ud >> tag_bits;
            if (id < handlers_.size() && handlers_[id] != nullptr) [[likely]]
                handlers_[id]->on_completion(ud & tag_mask, cqes[i]->res, cqes[i]->flags);
        }
        io_uring_cq_advance(&ring_, n);
        total += n;
        if (n < harvest_batch) break;
    }
    completions_ += total;
    return total;
}

bool uring_ring::wait(unsigned timeout_us) noexcept {
    if (io_uring_cq_ready(&ring_) != 0) return true;
    __kernel_timespec ts{};
    ts.tv_sec = timeout_us / 1000000;
    ts.tv_nsec = static_cast<long long>(timeout_us % 1000000) * 1000;
    io_uring_cqe* cqe = nullptr;
    (void)io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    ++enters_;
    return io_uring_cq_ready(&ring_) != 0;
}

provided_buffers::provided_buffers(uring_ring& ring, std::uint32_t count, std::uint32_t bytes,
                                   std::uint32_t lead, std::uint32_t trail, const std::string& what)
    : ring_(ring), count_(count), bytes_(bytes), lead_(lead),
      // 64-byte slots: each buffer starts on its own cache line.
      stride_(round_up(std::size_t{lead} + bytes + trail, 64)), group_(ring.new_buffer_group()) {
    if (count == 0 || count > 32768 || !std::has_single_bit(count))
        throw std::invalid_argument(what + ": buffers must be a power of two in 1..32768, got " +
                                    std::to_string(count));
    if (bytes == 0) throw std::invalid_argument(what + ": buffer_bytes must be positive");

    memory_bytes_ = stride_ * count;
    void* mem = mmap(nullptr, memory_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        throw std::runtime_error(what + ": mmap of " + std::to_string(memory_bytes_) +
                                 " bytes for receive buffers: " + std::strerror(errno));
    memory_ = static_cast<std::byte*>(mem);

    // The ring of buffer descriptors the kernel reads (liburing 2.3 has no
    // io_uring_setup_buf_ring): page-aligned memory, init, register.
    const std::size_t ring_bytes = round_up(sizeof(io_uring_buf) * count, 4096);
    void* rmem = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rmem == MAP_FAILED) {
        const int err = errno;
        munmap(memory_, memory_bytes_);
        throw std::runtime_error(what + ": mmap of the provided-buffer ring: " + std::strerror(err));
    }
    ring_buffers_ = static_cast<io_uring_buf_ring*>(rmem);
    io_uring_buf_ring_init(ring_buffers_);

    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(ring_buffers_);
    reg.ring_entries = count;
    reg.bgid = group_;
    const int r = io_uring_register_buf_ring(&ring_.raw(), &reg, 0);
    if (r < 0) {
        munmap(ring_buffers_, ring_bytes);
        munmap(memory_, memory_bytes_);
        throw std::runtime_error(what + ": io_uring_register_buf_ring(" + std::to_string(count) +
                                 " buffers): " + std::strerror(-r));
    }
    registered_ = true;
    for (std::uint32_t bid = 0; bid < count; ++bid) recycle(static_cast<std::uint16_t>(bid));
    commit();
}

provided_buffers::~provided_buffers() {
    if (registered_) (void)io_uring_unregister_buf_ring(&ring_.raw(), group_);
    munmap(ring_buffers_, round_up(sizeof(io_uring_buf) * count_, 4096));
    munmap(memory_, memory_bytes_);
}

} // namespace shardgate::detail
