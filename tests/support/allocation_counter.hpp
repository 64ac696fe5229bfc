#pragma once
/// Counting allocations in tests: a test program linked with
/// allocation_counter.cpp has its global operator new/delete replaced by
/// malloc/free plus a count, so a test can prove a hot loop allocates nothing
/// (STYLE.md, point 11).

#include <cstdint>

namespace shardgate::test {

/// Counts the operator new calls the calling thread makes while the scope
/// lives. One scope per thread at a time.
class allocation_scope {
public:
    allocation_scope() noexcept;
    ~allocation_scope();
    allocation_scope(const allocation_scope&) = delete;
    allocation_scope& operator=(const allocation_scope&) = delete;

    /// Allocations on this thread since the scope began.
    [[nodiscard]] std::uint64_t count() const noexcept;

private:
    std::uint64_t start_;
};

/// Every operator new call in the program so far, on any thread.
[[nodiscard]] std::uint64_t allocations_total() noexcept;

} // namespace shardgate::test
