#include "tests/support/allocation_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::uint64_t> g_total{0};
thread_local bool t_counting = false;
thread_local std::uint64_t t_count = 0;
} // namespace

// GCC cannot see that this operator new and the deletes below pair malloc
// with free; the pairing is correct by construction.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
    g_total.fetch_add(1, std::memory_order_relaxed);
    if (t_counting) ++t_count;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace shardgate::test {

allocation_scope::allocation_scope() noexcept : start_(t_count) { t_counting = true; }
allocation_scope::~allocation_scope() { t_counting = false; }
std::uint64_t allocation_scope::count() const noexcept { return t_count - start_; }
std::uint64_t allocations_total() noexcept { return g_total.load(std::memory_order_relaxed); }

} // namespace shardgate::test
