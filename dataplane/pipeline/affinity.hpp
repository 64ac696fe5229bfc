#pragma once
/// Core pinning and NUMA-local memory for dataplane and egress threads.

#include <cstddef>
#include <memory_resource>
#include <string>

namespace shardgate {

/// Pins the calling thread to `cpu` (no-op for -1). Throws std::runtime_error
/// naming the CPU and the reason (e.g. the CPU is offline or outside the
/// process's allowed set).
void pin_current_thread(int cpu, const std::string& what);

/// CPUs the process may run on (sched_getaffinity), for config validation.
[[nodiscard]] int usable_cpu_count() noexcept;

/// The NUMA node of `cpu` (0 when libnuma is absent, NUMA is unavailable or cpu is -1).
[[nodiscard]] int numa_node_of(int cpu) noexcept;

/// NUMA nodes of this machine, from /sys/devices/system/node (0: unknown).
[[nodiscard]] int numa_node_count() noexcept;

/// Memory on one NUMA node (numa_alloc_onnode), or the default heap when the
/// build has no libnuma or the machine no NUMA. Allocation happens at setup
/// only; pages are bound to the node before first touch.
class numa_memory final : public std::pmr::memory_resource {
public:
    explicit numa_memory(int node) noexcept;
    [[nodiscard]] int node() const noexcept { return node_; }
    [[nodiscard]] bool numa_backed() const noexcept { return numa_; }

private:
    void* do_allocate(std::size_t bytes, std::size_t alignment) override;
    void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override;
    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
        return this == &other;
    }

    int node_;
    bool numa_;
};

} // namespace shardgate
