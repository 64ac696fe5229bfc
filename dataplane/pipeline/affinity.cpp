#include "dataplane/pipeline/affinity.hpp"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string_view>

#ifdef SHARDGATE_HAVE_NUMA
#include <numa.h>
#endif

namespace shardgate {

void pin_current_thread(int cpu, const std::string& what) {
    if (cpu < 0) return;
    if (cpu >= CPU_SETSIZE)
        throw std::runtime_error(what + ": CPU " + std::to_string(cpu) + " is out of range");
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (const int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set); rc != 0)
        throw std::runtime_error(what + ": cannot pin to CPU " + std::to_string(cpu) + ": " +
                                 std::strerror(rc) +
                                 " (is the CPU online and in this process's allowed set?)");
}

int usable_cpu_count() noexcept {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    return CPU_COUNT(&set);
}

int numa_node_of(int cpu) noexcept {
#ifdef SHARDGATE_HAVE_NUMA
    if (cpu >= 0 && numa_available() >= 0) {
        const int node = numa_node_of_cpu(cpu);
        if (node >= 0) return node;
    }
#endif
    (void)cpu;
    return 0;
}

int numa_node_count() noexcept {
    // sysfs, not libnuma: libnuma is optional, and numa_available() fails
    // where the process may not use the NUMA calls (a container). Nodes
    // without CPUs (memory only) count too: such a machine gets the
    // cautious answer, a warning.
    DIR* d = ::opendir("/sys/devices/system/node");
    if (d == nullptr) return 0;
    int nodes = 0;
    while (const dirent* e = ::readdir(d)) {
        const std::string_view n = e->d_name;
        nodes += n.size() > 4 && n.starts_with("node") &&
                 n.find_first_not_of("0123456789", 4) == std::string_view::npos;
    }
    ::closedir(d);
    return nodes;
}

numa_memory::numa_memory(int node) noexcept : node_(node), numa_(false) {
#ifdef SHARDGATE_HAVE_NUMA
    numa_ = numa_available() >= 0 && numa_max_node() > 0;
#endif
}

void* numa_memory::do_allocate(std::size_t bytes, std::size_t alignment) {
#ifdef SHARDGATE_HAVE_NUMA
    if (numa_) {
        // numa_alloc_onnode returns page-aligned memory: any alignment ≤ 4096 holds.
        if (alignment > 4096) throw std::bad_alloc();
        void* p = numa_alloc_onnode(bytes ? bytes : 1, node_);
        if (!p) throw std::bad_alloc();
        return p;
    }
#endif
    return ::operator new (bytes, std::align_val_t{alignment});
}

void numa_memory::do_deallocate(void* p, std::size_t bytes, std::size_t alignment) {
#ifdef SHARDGATE_HAVE_NUMA
    if (numa_) {
        numa_free(p, bytes ? bytes : 1);
        return;
    }
#endif
    ::operator delete (p, bytes, std::align_val_t{alignment});
}

} // namespace shardgate
