// The DPDK environment: EAL start from the configuration, ports probed,
// configured and started, one mbuf pool per NUMA socket, and the factories of
// DPDK sources and sinks.

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "dataplane/dpdk/port.hpp"
#include "dataplane/pipeline/relay.hpp"

namespace shardgate {
namespace {

namespace fs = std::filesystem;

// rte_eal_init runs once per process: a second call fails, even after
// rte_eal_cleanup. This flag turns that into a clear error.
std::atomic<bool> g_eal_started{false};

// Frames a tx queue refuses are offered again until they are this many drain
// deadlines old (at least 1 ms): a NIC ring that is briefly full loses
// nothing, a stuck one costs at most this long per frame.
constexpr std::uint64_t retry_drains = 10;
constexpr std::uint64_t min_retry_us = 1000;
// How long start() waits for every port's link to come up.
constexpr auto link_wait = std::chrono::seconds(2);
// Two VLAN tags: the largest L2 header a received frame may carry.
constexpr std::uint32_t max_l2_bytes = ethernet_header_bytes + 8;

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string join(const std::vector<std::string>& v, std::string_view sep = " ") {
    std::string out;
    for (const auto& s : v) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

/// The option `name` appears in `args` (as "name", "name=..." or, for a short
/// option, "-lVALUE").
bool has_option(const std::vector<std::string>& args, std::string_view name) {
    for (const auto& a : args) {
        if (a == name) return true;
        if (a.size() > name.size() && a.starts_with(name) &&
            (a[name.size()] == '=' || (name.size() == 2 && name[0] == '-' && name[1] != '-')))
            return true;
    }
    return false;
}

/// The value of an option given as "name=value" or "name value"; "" if absent.
std::string option_value(const std::vector<std::string>& args, std::string_view name) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == name && i + 1 < args.size()) return args[i + 1];
        if (a.size() > name.size() && a.starts_with(name) && a[name.size()] == '=')
            return a.substr(name.size() + 1);
    }
    return {};
}

/// HugePages_Free from /proc/meminfo (the default page size), -1 if unknown.
long hugepages_free() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    long value = 0;
    while (in >> key >> value) {
        if (key == "HugePages_Free:") return value;
        in.ignore(256, '\n');
    }
    return -1;
}

/// The CPUs this process may run on, as an EAL cpuset "0,1,2".
std::string allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return "0";
    std::string out;
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) {
            if (!out.empty()) out += ',';
            out += std::to_string(c);
        }
    return out.empty() ? "0" : out;
}

/// Net drivers installed as plugins in DPDK's driver directory ("net_pcap", ...).
std::vector<std::string> installed_net_drivers() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(RTE_EAL_PMD_PATH, ec)) {
        const std::string f = e.path().filename().string();
        // librte_net_pcap.so, librte_net_pcap.so.23, ...
        if (!f.starts_with("librte_net_")) continue;
        const auto so = f.find(".so");
        if (so == std::string::npos) continue;
        std::string name = "net_" + f.substr(11, so - 11);
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool looks_like_pci(std::string_view dev) {
    // 0000:03:00.0 or 03:00.0 (hex digits, ':' and '.')
    const auto name = dev.substr(0, dev.find(','));
    return name.find('.') != std::string_view::npos && name.find(':') != std::string_view::npos &&
           name.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
}

/// A virtual device ("net_pcap0,...", or the legacy "eth_" names).
bool is_vdev(std::string_view dev) { return dev.starts_with("net_") || dev.starts_with("eth_"); }

/// A device string's name, a legacy "eth_" prefix read as "net_"
/// ("eth_ring0,..." -> "net_ring0"): a vdev's name starts with its driver's.
std::string vdev_name(std::string_view dev) {
    std::string name(dev.substr(0, dev.find(',')));
    if (name.starts_with("eth_")) name.replace(0, 4, "net_");
    return name;
}

} // namespace

std::uint64_t dpdk_mbufs_per_polled_queue(bool rx_on_egress) noexcept {
    return rx_on_egress ? relay_depth : max_poll_chunks;
}

std::uint64_t dpdk_mbufs_per_tx_queue() noexcept {
    return detail::tx_queue::capacity + detail::tx_queue::stash_size;
}

std::uint64_t dpdk_mbufs_per_ring_queue() noexcept { return 1023; }

namespace {
/// The MTU the ports are given: room for a frame of payload_bytes.
std::uint32_t mtu_for(const dpdk_config& cfg) noexcept {
    return std::max<std::uint32_t>(RTE_ETHER_MTU, cfg.payload_bytes + ipv4_header_bytes + udp_header_bytes);
}
/// Each mbuf's data room, from the headroom on the larger of: the largest
/// frame sent or expected (MTU + two VLAN tags) plus rx_padding, so decoders
/// may read past a payload in place; and a lane block of payload_bytes sent
/// in place (dpdk_tx_sink::bind: a line for the headers in front, the lane's
/// slack behind), so every DPDK sink can send zero-copy whatever the payload.
std::uint32_t mbuf_data_room(const dpdk_config& cfg) noexcept {
    const std::uint32_t frame = mtu_for(cfg) + max_l2_bytes + rx_padding;
    const std::uint32_t block = detail::bound_block_offset + cfg.payload_bytes + lane::slack;
    const std::uint32_t data = std::max(frame, block);
    return std::max<std::uint32_t>(RTE_MBUF_DEFAULT_BUF_SIZE, RTE_PKTMBUF_HEADROOM + ((data + 63) & ~63u));
}
} // namespace

std::uint64_t dpdk_mbufs_in_caches(std::uint32_t mbuf_cache, std::uint64_t threads) noexcept {
    return threads * ((std::uint64_t{mbuf_cache} * 3 + 1) / 2); // RTE_MEMPOOL_CACHE flush threshold: 1.5x
}

dpdk_mbufs_held_by dpdk_mbufs_held(const dpdk_port_config& p, std::uint32_t polled_queues, bool rx_on_egress,
                                   std::size_t egress_threads) {
    dpdk_mbufs_held_by h;
    h.sources =
        std::min<std::uint64_t>(polled_queues, p.rx_queues) * dpdk_mbufs_per_polled_queue(rx_on_egress);
    // Only tx queue e of egress thread e ever buffers or stashes (lazily).
    h.tx_buffers = std::min<std::uint64_t>(p.tx_queues, egress_threads) * dpdk_mbufs_per_tx_queue();
    if (!is_vdev(p.device))
        h.descriptors =
            std::uint64_t{p.rx_queues} * p.rx_descriptors + std::uint64_t{p.tx_queues} * p.tx_descriptors;
    if (vdev_name(p.device).starts_with("net_ring"))
        h.in_flight = std::min<std::uint64_t>(p.tx_queues, egress_threads) * dpdk_mbufs_per_ring_queue();
    return h;
}

dpdk_pool_need dpdk_pool_need_of(const dpdk_config& cfg, const std::vector<std::size_t>& ports,
                                 std::size_t egress_threads,
                                 const std::vector<std::uint32_t>& polled_rx_queues) {
    // Threads with a cache in the pool: at most one core per rx queue polled
    // on these ports, and every egress thread (any of them may send through
    // a port of any socket).
    dpdk_pool_need n;
    n.threads = egress_threads;
    for (const std::size_t i : ports) {
        const dpdk_port_config& p = cfg.ports.at(i);
        const std::uint32_t queues = std::min<std::uint32_t>(
            i < polled_rx_queues.size() ? polled_rx_queues[i] : p.rx_queues, p.rx_queues);
        n.threads += queues;
        const dpdk_mbufs_held_by h = dpdk_mbufs_held(p, queues, cfg.rx_on_egress, egress_threads);
        n.held += h;
        if (h.descriptors) n.rx_descriptors += std::uint64_t{p.rx_queues} * p.rx_descriptors;
    }
    n.caches = dpdk_mbufs_in_caches(cfg.mbuf_cache, n.threads);
    return n;
}

std::string dpdk_pool_shortfall(const dpdk_config& cfg, const std::string& ports, const dpdk_pool_need& n) {
    const std::uint64_t need = n.total();
    if (need < cfg.mempool_mbufs) return {};
    const dpdk_mbufs_held_by& h = n.held;
    std::string remedies;
    if (h.descriptors != 0) remedies += ", or lower the descriptors";
    if (cfg.mbuf_cache != 0) remedies += ", or lower dpdk.mbuf_cache";
    if (cfg.rx_on_egress) remedies += ", or turn dpdk.rx_on_egress off";
    return "dpdk.mempool_mbufs (" + std::to_string(cfg.mempool_mbufs) + ") must exceed what " + ports +
           " can hold: " + std::to_string(h.descriptors) +
           " in NIC descriptors (rx_queues x rx_descriptors + tx_queues x tx_descriptors) + " +
           std::to_string(h.sources) + " held by sources (" +
           std::to_string(dpdk_mbufs_per_polled_queue(cfg.rx_on_egress)) + " per polled rx queue" +
           (cfg.rx_on_egress ? ", relayed: dpdk.rx_on_egress" : "") + ") + " + std::to_string(h.tx_buffers) +
           " buffered for transmit (" + std::to_string(dpdk_mbufs_per_tx_queue()) +
           " per tx queue an egress thread sends on) + " +
           (h.in_flight ? std::to_string(h.in_flight) + " in net_ring's rings (" +
                              std::to_string(dpdk_mbufs_per_ring_queue()) +
                              " per tx queue an egress thread sends on) + "
                        : std::string()) +
           std::to_string(n.caches) + " in per-thread caches (1.5 x dpdk.mbuf_cache for each of " +
           std::to_string(n.threads) + " threads) = " + std::to_string(need) +
           "; set dpdk.mempool_mbufs to at least " + std::to_string(need + 1) + remedies;
}

namespace {

/// Why a device did not probe, and what to do about it.
std::string probe_hint(const std::string& device, const std::vector<std::string>& eal_args) {
    const std::string name = device.substr(0, device.find(','));
    if (looks_like_pci(device)) {
        if (has_option(eal_args, "--no-pci"))
            return "dpdk.eal_args contain \"--no-pci\", which disables PCI devices; remove it to use a NIC";
        return "is it bound to vfio-pci or uio_pci_generic (dpdk-devbind.py --status), and is its driver "
               "installed?";
    }
    const std::string driver = vdev_name(device);
    const auto installed = installed_net_drivers();
    std::string match;
    for (const auto& d : installed)
        if (driver.starts_with(d) && d.size() > match.size()) match = d;
    if (match.empty())
        return "no installed DPDK net driver matches " + quote(name) +
               " (a vdev name starts with its driver's name; " + "installed in " RTE_EAL_PMD_PATH ": " +
               (installed.empty() ? "none" : join(installed, ", ")) + ")";
    return "check the " + match + " arguments (DPDK's log above says which one it rejected)";
}

/// Whether another process holds the lock a DPDK primary process takes on
/// its runtime config file (`config` in the file prefix's runtime directory).
bool runtime_config_locked(const std::string& runtime_dir) {
    if (runtime_dir.empty()) return false;
    const int fd = ::open((runtime_dir + "/config").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct flock lk {};
    lk.l_type = F_WRLCK;
    lk.l_whence = SEEK_SET;
    const bool locked = ::fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type != F_UNLCK;
    ::close(fd);
    return locked;
}

/// The EAL's message for a failed rte_eal_init, with the remedy we know of.
/// `prefix_in_use`: another process holds the file prefix's runtime config.
std::string eal_failure(int err, const std::vector<std::string>& args, bool prefix_in_use) {
    std::string msg = "DPDK EAL initialisation failed (rte_eal_init: " +
                      (err != 0 ? std::string(rte_strerror(err)) : std::string("no reason given")) +
                      "; EAL arguments: " + join(args) + "): ";
    if (prefix_in_use)
        return msg + "another DPDK process uses this file prefix (" + option_value(args, "--file-prefix") +
               "): give each process its own \"--file-prefix=NAME\"";
    const bool no_huge = has_option(args, "--no-huge");
    if (!no_huge && hugepages_free() <= 0)
        return msg +
               "no hugepages are reserved (HugePages_Free is 0 in /proc/meminfo). Add \"--no-huge\", \"-m\", "
               "\"256\" to dpdk.eal_args (fine for virtual devices), or reserve hugepages: echo 512 > "
               "/proc/sys/vm/nr_hugepages and mount hugetlbfs on /dev/hugepages";
    if (no_huge && has_option(args, "--in-memory"))
        return msg + "\"--in-memory\" needs hugepages; use \"--no-shconf\" with \"--no-huge\" instead";
    if (err == EALREADY || err == EAGAIN)
        return msg + "another DPDK primary process uses this file prefix (" +
               option_value(args, "--file-prefix") + "); give each process its own \"--file-prefix=NAME\"";
    if (err == EACCES || err == EPERM)
        return msg + "permission denied; DPDK needs root (or CAP_IPC_LOCK/CAP_SYS_ADMIN and write access to "
                     "/var/run/dpdk and the hugepages)";
    if (err == EINVAL)
        return msg + "an EAL argument was rejected (DPDK's log above names it); check dpdk.eal_args";
    return msg + "see DPDK's log above";
}

} // namespace

std::vector<std::string> missing_dpdk_drivers() {
    const auto installed = installed_net_drivers();
    std::vector<std::string> missing;
    for (const char* d : {"net_pcap", "net_ring", "net_null", "net_memif"})
        if (std::find(installed.begin(), installed.end(), d) == installed.end()) missing.emplace_back(d);
    return missing;
}

bool dpdk_driver_copies_on_receive(std::string_view driver) noexcept {
    return driver == "net_pcap" || driver == "net_af_packet" || driver == "net_tap";
}

namespace detail {
namespace {

/// The summary line of what a port's finished sources did: datagrams
/// handed on and every reason a frame was skipped (non-zero ones only).
std::string finished_text(const dpdk_rx_status& r) {
    std::ostringstream o;
    o << "sources: " << r.frames << " frames, " << r.datagrams << " UDP datagrams decoded";
    const std::pair<const char*, std::uint64_t> reasons[] = {
        {"not_ip", r.not_ip},
        {"not_udp", r.not_udp},
        {"fragment", r.fragment},
        {"wrong_port", r.wrong_port},
        {"short_ethernet", r.short_ethernet},
        {"bad_ip_header", r.bad_ip_header},
        {"bad_ip_length", r.bad_ip_length},
        {"bad_ip_checksum", r.bad_ip_checksum},
        {"bad_udp_length", r.bad_udp_length},
        {"bad_l4_checksum", r.bad_l4_checksum},
        {"no_scratch", r.no_scratch},
    };
    const char* sep = "; skipped ";
    for (const auto& [name, n] : reasons)
        if (n) {
            o << sep << name << " " << n;
            sep = ", ";
        }
    if (r.copied) o << "; " << r.copied << " payloads copied to scratch";
    return o.str();
}

/// The summary line of what a port's finished sinks did.
std::string finished_text(const dpdk_tx_status& t) {
    std::ostringstream o;
    o << "sinks: " << t.frames_sent << " frames sent, " << t.frames_dropped << " dropped; " << t.frames_copied
      << " frames copied into an mbuf, the rest zero-copy from " << t.blocks_bound
      << " lane blocks living in mbufs; " << t.retries << " bursts retried, " << t.no_mbuf
      << " submits without an mbuf";
    if (t.binding_refused)
        o << "; " << t.binding_refused << (t.binding_refused == 1 ? " sink" : " sinks")
          << " copied frames because the mbuf pool could not spare an mbuf per lane block (raise "
             "dpdk.mempool_mbufs for zero-copy transmit)";
    return o.str();
}

class environment final : public dpdk_environment {
public:
    environment(const dpdk_config& cfg, std::size_t egress_threads,
                std::vector<std::uint32_t> polled_rx_queues)
        : cfg_(cfg), egress_threads_(egress_threads), polled_rx_queues_(std::move(polled_rx_queues)) {
        validate();
        build_args();
        init_eal();
        try {
            for (std::size_t i = 0; i < cfg_.ports.size(); ++i) probe(i);
            make_pools();
            for (auto& p : ports_) configure(*p);
            check_pools_after_start();
            wait_for_links();
            for (const auto& d : missing_dpdk_drivers())
                warnings_.push_back("the DPDK driver " + d +
                                    " is not installed in " RTE_EAL_PMD_PATH " (Debian package librte-net-" +
                                    d.substr(4) + "23); its vdevs cannot be used");
        } catch (...) {
            shutdown();
            throw;
        }
    }

    ~environment() override { shutdown(); }

    void register_thread() override {
        if (rte_lcore_id() != LCORE_ID_ANY) return; // the EAL's own lcore, or registered already
        if (rte_thread_register() != 0) {
            const int err = rte_errno;
            std::string why = "rte_thread_register: " + std::string(rte_strerror(err));
            if (err == ENOMEM)
                why += " (DPDK has " + std::to_string(RTE_MAX_LCORE) +
                       " lcore ids for the EAL's own lcores and registered threads together, and every "
                       "dataplane and egress thread registers one: use fewer router.dataplane_cpus and "
                       "router.egress_cpus entries, or fewer EAL lcores)";
            throw std::runtime_error(why);
        }
    }

    void unregister_thread() noexcept override {
        if (rte_lcore_id() != LCORE_ID_ANY && rte_lcore_id() != rte_get_main_lcore()) rte_thread_unregister();
    }

    std::unique_ptr<source> make_source(const source_config& cfg) override {
        const std::string what = (cfg.name.empty() ? std::string("dpdk source") : cfg.name) + " (dpdk port " +
                                 std::to_string(cfg.dpdk_port) + " queue " + std::to_string(cfg.dpdk_queue) +
                                 ")";
        if (cfg.kind != source_kind::dpdk)
            throw std::invalid_argument(what + ": not a dpdk source (kind " +
                                        std::string(to_string(cfg.kind)) + ")");
        if (cfg.dpdk_port >= ports_.size())
            throw std::invalid_argument(what + ": dpdk_port " + std::to_string(cfg.dpdk_port) +
                                        " is not declared; expected an index into [[dpdk.ports]] (0.." +
                                        std::to_string(ports_.size() - 1) + ")");
        dpdk_port& p = *ports_[cfg.dpdk_port];
        if (cfg.dpdk_queue >= p.cfg.rx_queues)
            throw std::invalid_argument(what + ": dpdk_queue " + std::to_string(cfg.dpdk_queue) +
                                        " is not a receive queue of dpdk.ports[" + std::to_string(p.index) +
                                        "] (rx_queues = " + std::to_string(p.cfg.rx_queues) + ")");
        if (p.rx_claimed[cfg.dpdk_queue].exchange(true, std::memory_order_acq_rel))
            throw std::invalid_argument(what +
                                        ": another source already polls this queue; each (port, queue) "
                                        "has exactly one polling core");
        try {
            return make_rx_source(p, cfg, what);
        } catch (...) {
            p.rx_claimed[cfg.dpdk_queue].store(false, std::memory_order_release);
            throw;
        }
    }

    std::unique_ptr<sink> make_sink(const sink_config& cfg, std::uint32_t partition,
                                    std::size_t egress_index) override {
        const std::string what =
            (partition == dead_letter_partition ? std::string("sinks.dead_letter")
                                                : "sinks[" + std::to_string(partition) + "]") +
            " (" + (cfg.uri.empty() ? std::string("dpdk") : cfg.uri) + ")";
        if (cfg.kind != sink_kind::dpdk)
            throw std::invalid_argument(what + ": not a dpdk sink (kind " + std::string(to_string(cfg.kind)) +
                                        ")");
        if (cfg.dpdk_port >= ports_.size())
            throw std::invalid_argument(what + ": dpdk port " + std::to_string(cfg.dpdk_port) +
                                        " is not declared; expected an index into [[dpdk.ports]] (0.." +
                                        std::to_string(ports_.size() - 1) + ")");
        if (egress_index >= egress_threads_)
            throw std::invalid_argument(what + ": egress thread " + std::to_string(egress_index) +
                                        " does not exist (the environment was started for " +
                                        std::to_string(egress_threads_) + " egress threads)");
        dpdk_port& p = *ports_[cfg.dpdk_port];
        if (egress_index >= p.tx.size())
            throw std::invalid_argument(
                what + ": egress thread " + std::to_string(egress_index) + " sends on dpdk.ports[" +
                std::to_string(p.index) + "], which has tx_queues = " + std::to_string(p.cfg.tx_queues) +
                "; each egress thread needs its own transmit queue: set tx_queues >= " +
                std::to_string(egress_index + 1));
        return make_tx_sink(p, *p.tx[egress_index], cfg, cfg_.payload_bytes, what);
    }

    [[nodiscard]] std::vector<dpdk_port_stats> port_stats() const override {
        std::vector<dpdk_port_stats> out;
        for (const auto& p : ports_) {
            dpdk_port_stats s;
            s.index = p->index;
            s.port_id = p->id;
            s.device = p->cfg.device;
            s.driver = p->driver;
            s.mac = to_string(p->mac);
            s.socket = p->socket;
            s.rss = p->rss;
            s.ipv4_checksum_offload = p->ipv4_checksum_offload;
            s.udp_checksum_offload = p->udp_checksum_offload;
            rte_eth_link link{};
            if (rte_eth_link_get_nowait(p->id, &link) == 0) {
                s.link_up = link.link_status == RTE_ETH_LINK_UP;
                s.link_speed_mbps = link.link_speed;
            }
            rte_eth_stats st{};
            if (rte_eth_stats_get(p->id, &st) == 0) {
                s.ipackets = st.ipackets;
                s.opackets = st.opackets;
                s.ibytes = st.ibytes;
                s.obytes = st.obytes;
                s.imissed = st.imissed;
                s.ierrors = st.ierrors;
                s.oerrors = st.oerrors;
                s.rx_nombuf = st.rx_nombuf;
            }
            out.push_back(std::move(s));
        }
        return out;
    }

    [[nodiscard]] std::string stats_text() const override {
        std::ostringstream o;
        for (const auto& s : port_stats()) {
            o << "dpdk.ports[" << s.index << "] " << s.device.substr(0, s.device.find(',')) << " (port "
              << s.port_id << ", " << s.driver << ", link " << (s.link_up ? "up" : "down");
            if (s.link_up && s.link_speed_mbps) o << " " << s.link_speed_mbps << " Mb/s";
            o << "): rx " << s.ipackets << " frames " << s.ibytes << " bytes, missed " << s.imissed
              << ", errors " << s.ierrors << ", no mbuf " << s.rx_nombuf << "; tx " << s.opackets
              << " frames " << s.obytes << " bytes, errors " << s.oerrors << "\n";
            dpdk_port& port = *ports_.at(s.index);
            std::lock_guard lock(port.finished_mutex);
            if (port.sources_finished) {
                o << "  " << finished_text(port.rx_finished) << "\n";
                if (port.rx_queue_frames.size() > 1) {
                    // How the device spread the frames: by RSS, or its own rule.
                    o << "  rx queues ("
                      << (s.rss                   ? "RSS"
                          : s.driver == "net_tap" ? "the kernel's tun queue selection"
                                                  : "the device's own spread")
                      << "), frames:";
                    for (std::size_t q = 0; q < port.rx_queue_frames.size(); ++q)
                        o << " " << q << "=" << port.rx_queue_frames[q];
                    o << "\n";
                }
            }
            if (port.sinks_finished) o << "  " << finished_text(port.tx_finished) << "\n";
        }
        return o.str();
    }

    [[nodiscard]] const std::vector<std::string>& warnings() const noexcept override { return warnings_; }
    [[nodiscard]] std::uint16_t port_id(std::size_t index) const override { return ports_.at(index)->id; }
    [[nodiscard]] const std::vector<std::string>& eal_arguments() const noexcept override { return args_; }

private:
    void validate() const {
        if (cfg_.ports.empty())
            throw std::invalid_argument("dpdk: no [[dpdk.ports]] declared; nothing to start");
        if (egress_threads_ == 0) throw std::invalid_argument("dpdk: egress_threads must be at least 1");
        if (cfg_.payload_bytes == 0 || cfg_.payload_bytes > max_udp_payload)
            throw std::invalid_argument("dpdk.payload_bytes must be in 1.." +
                                        std::to_string(max_udp_payload) + ", got " +
                                        std::to_string(cfg_.payload_bytes));
        if (cfg_.mbuf_cache > RTE_MEMPOOL_CACHE_MAX_SIZE || cfg_.mbuf_cache * 1.5 > cfg_.mempool_mbufs)
            throw std::invalid_argument("dpdk.mbuf_cache (" + std::to_string(cfg_.mbuf_cache) +
                                        ") must be at most " + std::to_string(RTE_MEMPOOL_CACHE_MAX_SIZE) +
                                        " and at most dpdk.mempool_mbufs / 1.5 (DPDK's limits)");
        if (cfg_.tx_drain_us == 0) throw std::invalid_argument("dpdk.tx_drain_us must be at least 1");
        for (std::size_t i = 0; i < cfg_.ports.size(); ++i) {
            const auto& p = cfg_.ports[i];
            const std::string k = "dpdk.ports[" + std::to_string(i) + "]";
            if (p.device.empty())
                throw std::invalid_argument(k + ".device is empty; expected a PCI address or vdev string");
            if (p.rx_queues == 0 || p.tx_queues == 0)
                throw std::invalid_argument(k + ": rx_queues and tx_queues must be at least 1");
            for (std::size_t j = 0; j < i; ++j)
                if (cfg_.ports[j].device.substr(0, cfg_.ports[j].device.find(',')) ==
                    p.device.substr(0, p.device.find(',')))
                    throw std::invalid_argument(k + ".device names the same device as dpdk.ports[" +
                                                std::to_string(j) + "]: " + quote(p.device));
        }
    }

    void build_args() {
        const auto& given = cfg_.eal_args;
        args_.push_back("shardgate");
        args_.insert(args_.end(), given.begin(), given.end());
        if (has_option(given, "--proc-type") && option_value(given, "--proc-type") != "primary")
            throw std::invalid_argument("dpdk.eal_args: shardgate runs as the primary DPDK process; remove "
                                        "\"--proc-type=" +
                                        option_value(given, "--proc-type") + "\"");
        if (!has_option(given, "--proc-type")) args_.push_back("--proc-type=primary");
        if (!has_option(given, "--file-prefix") && !has_option(given, "--no-shconf")) {
            args_.push_back("--file-prefix=shardgate-" + std::to_string(::getpid()));
            own_prefix_ = true;
        }
        // Only the main lcore, allowed on every CPU the process may use: the
        // EAL pins nothing and starts no worker threads. The router pins its
        // own threads, which register as lcores (register_thread), so each
        // lcore's cpuset is the CPU the router chose for it.
        if (!has_option(given, "-l") && !has_option(given, "-c") && !has_option(given, "--lcores"))
            args_.push_back("--lcores=0@(" + allowed_cpus() + ")");
        if (!has_option(given, "--log-level")) args_.push_back("--log-level=notice");
    }

    void init_eal() {
        if (g_eal_started.exchange(true))
            throw std::runtime_error(
                "DPDK's EAL was already started in this process; it starts once per process "
                "(not again after a cleanup either): use one dpdk_environment per process");
        std::vector<std::string> copy = args_; // rte_eal_init may permute argv
        std::vector<char*> argv;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        // rte_eal_init pins the calling thread to the main lcore's CPUs. With
        // an lcore option of the user's (-l 1) that is one CPU, and every
        // thread the router starts afterwards would inherit it, unpinned
        // ones (-1) included: give the thread its CPUs back.
        cpu_set_t before;
        const bool saved = sched_getaffinity(0, sizeof before, &before) == 0;
        const int r = rte_eal_init(static_cast<int>(argv.size() - 1), argv.data());
        const int err = rte_errno;
        if (saved) sched_setaffinity(0, sizeof before, &before);
        // The EAL makes its runtime directory (/var/run/dpdk/PREFIX) early,
        // so it exists even when the start fails.
        if (const char* dir = rte_eal_get_runtime_dir(); dir != nullptr) runtime_dir_ = dir;
        if (r < 0) {
            remove_runtime_dir();
            g_eal_started.store(false); // the EAL may accept another attempt after an early failure
            // DPDK leaves rte_errno at 0 when another primary process holds
            // the prefix ("Cannot init config"): look at the lock itself.
            const bool in_use = !own_prefix_ && runtime_config_locked(runtime_dir_);
            throw std::runtime_error(eal_failure(err, args_, in_use));
        }
        eal_up_ = true;
    }

    void remove_runtime_dir() noexcept {
        // Only our own per-process prefix's directory: nobody else uses it.
        if (!own_prefix_ || runtime_dir_.empty()) return;
        std::error_code ec;
        fs::remove_all(runtime_dir_, ec);
    }

    void probe(std::size_t i) {
        const dpdk_port_config& pc = cfg_.ports[i];
        const std::string k = "dpdk.ports[" + std::to_string(i) + "]";
        const std::string name = pc.device.substr(0, pc.device.find(','));
        std::uint16_t id = RTE_MAX_ETHPORTS;
        // Already there when given as --vdev/-a in the EAL arguments, or a PCI
        // device the EAL probed at start.
        if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
            const int r = rte_dev_probe(pc.device.c_str());
            if (r != 0 && r != -EEXIST)
                throw std::runtime_error(k + ": device " + quote(pc.device) + " did not probe: " +
                                         rte_strerror(-r) + "; " + probe_hint(pc.device, args_));
            if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
                // A PCI address written short (03:00.0) or a device with several ports: first match.
                rte_dev_iterator it{};
                if (rte_eth_iterator_init(&it, name.c_str()) == 0) {
                    id = rte_eth_iterator_next(&it);
                    if (id != RTE_MAX_ETHPORTS) rte_eth_iterator_cleanup(&it);
                }
            }
        }
        if (id >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port(id))
            throw std::runtime_error(k + ": device " + quote(pc.device) +
                                     " did not probe: it gave no ethdev port; " +
                                     probe_hint(pc.device, args_));
        for (const auto& p : ports_)
            if (p->id == id)
                throw std::invalid_argument(k + ".device " + quote(pc.device) +
                                            " is the same port as dpdk.ports[" + std::to_string(p->index) +
                                            "]");
        auto p = std::make_unique<dpdk_port>();
        p->index = i;
        p->id = id;
        p->cfg = pc;
        const int socket = rte_eth_dev_socket_id(id);
        p->socket = socket >= 0 ? socket : static_cast<int>(rte_socket_id());
        rte_ether_addr mac{};
        if (rte_eth_macaddr_get(id, &mac) == 0)
            std::copy(std::begin(mac.addr_bytes), std::end(mac.addr_bytes), p->mac.begin());
        p->rx_claimed = std::make_unique<std::atomic<bool>[]>(pc.rx_queues);
        p->rx_queue_frames.assign(pc.rx_queues, 0);
        ports_.push_back(std::move(p));
    }

    void make_pools() {
        const std::uint32_t room = mbuf_data_room(cfg_);
        if (room > 65535)
            throw std::invalid_argument("dpdk.payload_bytes (" + std::to_string(cfg_.payload_bytes) +
                                        ") needs mbufs larger than DPDK allows (64 KiB)");
        // The pool needs every mbuf the ports can hold at once, and more.
        std::map<int, std::vector<std::size_t>> on_socket;
        for (const auto& p : ports_) on_socket[p->socket].push_back(p->index);
        for (const auto& [socket, indices] : on_socket) {
            const dpdk_pool_need n = dpdk_pool_need_of(cfg_, indices, egress_threads_, polled_rx_queues_);
            if (const std::string e =
                    dpdk_pool_shortfall(cfg_, "the ports on NUMA socket " + std::to_string(socket), n);
                !e.empty())
                throw std::invalid_argument(e);
            const std::uint64_t need = n.total();
            const std::string name = "sg_mbufs_s" + std::to_string(socket);
            rte_mempool* mp = rte_pktmbuf_pool_create(name.c_str(), cfg_.mempool_mbufs, cfg_.mbuf_cache, 0,
                                                      static_cast<std::uint16_t>(room), socket);
            if (mp == nullptr)
                throw std::runtime_error(
                    "rte_pktmbuf_pool_create(" + std::to_string(cfg_.mempool_mbufs) + " mbufs of " +
                    std::to_string(room) + " bytes on socket " + std::to_string(socket) +
                    "): " + rte_strerror(rte_errno) +
                    "; give the EAL more memory (\"-m\" in dpdk.eal_args, or more hugepages) or lower "
                    "dpdk.mempool_mbufs");
            pools_.emplace(socket, mp);
            bindable_.emplace(socket, std::make_unique<std::atomic<std::int64_t>>(
                                          static_cast<std::int64_t>(cfg_.mempool_mbufs - 1 - need)));
            pool_needs_.emplace(socket, pool_need{need, n.rx_descriptors});
        }
        for (auto& p : ports_) {
            p->pool = pools_.at(p->socket);
            p->bindable = bindable_.at(p->socket).get();
        }
        room_ = room;
    }

    /// Virtual devices count no descriptors in make_pools' check, but some
    /// (net_tap, and any that fill receive rings from the pool) take mbufs
    /// when they start: what the started devices hold is measured, and the
    /// check (and the spare for lane blocks) redone with it when it is more
    /// than was counted. A pool that passed the first check could otherwise
    /// leave reception without mbufs once traffic came.
    void check_pools_after_start() {
        for (const auto& [socket, mp] : pools_) {
            const pool_need& n = pool_needs_.at(socket);
            const std::uint64_t taken = rte_mempool_in_use_count(mp); // nothing else has allocated yet
            // A start fills rx rings only: what the devices took beyond the
            // rx descriptors counted comes on top of everything counted.
            if (taken <= n.rx_descriptors) continue;
            const std::uint64_t need = n.total + (taken - n.rx_descriptors);
            if (need >= cfg_.mempool_mbufs) {
                std::string which;
                for (const auto& p : ports_)
                    if (p->socket == socket)
                        which += (which.empty() ? "" : ", ") +
                                 ("dpdk.ports[" + std::to_string(p->index) + "] " + quote(p->cfg.device));
                throw std::invalid_argument(
                    "dpdk.mempool_mbufs (" + std::to_string(cfg_.mempool_mbufs) +
                    ") is too small once the ports on NUMA socket " + std::to_string(socket) + " (" + which +
                    ") started: their devices took " + std::to_string(taken) + " mbufs for their rings, " +
                    std::to_string(taken - n.rx_descriptors) + " more than counted, on top of the " +
                    std::to_string(n.total) +
                    " counted for descriptors, sources, transmit buffers and per-thread caches; set "
                    "dpdk.mempool_mbufs to at least " +
                    std::to_string(need + 1) + ", or lower those ports' rx_descriptors");
            }
            // Only ever lowered: never more spare than make_pools found.
            auto& spare = *bindable_.at(socket);
            const auto now_spare = static_cast<std::int64_t>(cfg_.mempool_mbufs - 1 - need);
            if (now_spare < spare.load()) spare.store(now_spare);
        }
    }

    void configure(dpdk_port& p) {
        const std::string k = "dpdk.ports[" + std::to_string(p.index) + "]";
        const std::string dev = quote(p.cfg.device);
        const auto fail = [&](const std::string& call, int r, const std::string& remedy = {}) {
            throw std::runtime_error(k + " (" + dev + "): " + call + ": " + rte_strerror(r < 0 ? -r : r) +
                                     (remedy.empty() ? "" : "; " + remedy));
        };
        rte_eth_dev_info info{};
        if (int r = rte_eth_dev_info_get(p.id, &info); r != 0) fail("rte_eth_dev_info_get", r);
        p.driver = info.driver_name ? info.driver_name : "?";
        p.copies_on_receive = dpdk_driver_copies_on_receive(p.driver);
        if (p.cfg.rx_queues > info.max_rx_queues)
            throw std::invalid_argument(k + ".rx_queues = " + std::to_string(p.cfg.rx_queues) + ", but " +
                                        dev + " (" + p.driver + ") has at most " +
                                        std::to_string(info.max_rx_queues));
        if (p.cfg.tx_queues > info.max_tx_queues)
            throw std::invalid_argument(k + ".tx_queues = " + std::to_string(p.cfg.tx_queues) + ", but " +
                                        dev + " (" + p.driver + ") has at most " +
                                        std::to_string(info.max_tx_queues));

        rte_eth_conf conf{};
        std::uint32_t mtu = mtu_for(cfg_);
        if (info.max_mtu != 0 && mtu > info.max_mtu) mtu = info.max_mtu;
        conf.rxmode.mtu = mtu;
        if (p.cfg.rx_queues > 1) {
            const std::uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
            if (hf != 0) {
                conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
                conf.rx_adv_conf.rss_conf.rss_hf = hf;
                // net_tap takes the RSS configuration, but hashes only for
                // rte_flow RSS rules (a BPF program of its own): without
                // them the kernel's tun queue selection spreads the flows.
                p.rss = p.driver != "net_tap";
            } else {
                warnings_.push_back(k + " (" + dev + "): rx_queues = " + std::to_string(p.cfg.rx_queues) +
                                    " but " + p.driver +
                                    " has no RSS; frames reach queues by the device's own rule");
            }
        }
        // Let the NIC check received IPv4 and UDP checksums when it can (the
        // parser then trusts its verdict), and fill in transmitted ones.
        conf.rxmode.offloads =
            info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
        p.ipv4_checksum_offload = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
        p.udp_checksum_offload =
            p.ipv4_checksum_offload && (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
        if (p.ipv4_checksum_offload) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
        if (p.udp_checksum_offload) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
        // Every tx mbuf comes from one pool with refcount 1.
        conf.txmode.offloads |= info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

        if (int r = rte_eth_dev_configure(p.id, p.cfg.rx_queues, p.cfg.tx_queues, &conf); r != 0) {
            // Drivers refuse some queue counts with a bare -1 (EPERM) and say
            // why only in DPDK's log; the commonest case gets its remedy here.
            const std::string remedy = p.cfg.rx_queues == p.cfg.tx_queues
                                           ? ""
                                           : (p.driver == "net_tap" ? "net_tap needs" : "some drivers need") +
                                                 std::string(" as many tx as rx queues: try ") + k +
                                                 ".tx_queues = " + std::to_string(p.cfg.rx_queues) +
                                                 " (DPDK's log above says why it refused)";
            fail("rte_eth_dev_configure(" + std::to_string(p.cfg.rx_queues) + " rx, " +
                     std::to_string(p.cfg.tx_queues) + " tx queues, mtu " + std::to_string(mtu) + ")",
                 r, remedy);
        }
        std::uint16_t rxd = p.cfg.rx_descriptors, txd = p.cfg.tx_descriptors;
        if (int r = rte_eth_dev_adjust_nb_rx_tx_desc(p.id, &rxd, &txd); r != 0)
            fail("rte_eth_dev_adjust_nb_rx_tx_desc", r);
        rte_eth_rxconf rxconf = info.default_rxconf;
        rxconf.offloads = conf.rxmode.offloads;
        for (std::uint16_t q = 0; q < p.cfg.rx_queues; ++q)
            if (int r =
                    rte_eth_rx_queue_setup(p.id, q, rxd, static_cast<unsigned>(p.socket), &rxconf, p.pool);
                r != 0)
                fail("rte_eth_rx_queue_setup(queue " + std::to_string(q) + ", " + std::to_string(rxd) +
                         " descriptors)",
                     r);
        rte_eth_txconf txconf = info.default_txconf;
        txconf.offloads = conf.txmode.offloads;
        for (std::uint16_t q = 0; q < p.cfg.tx_queues; ++q)
            if (int r = rte_eth_tx_queue_setup(p.id, q, txd, static_cast<unsigned>(p.socket), &txconf);
                r != 0)
                fail("rte_eth_tx_queue_setup(queue " + std::to_string(q) + ", " + std::to_string(txd) +
                         " descriptors)",
                     r);
        if (int r = rte_eth_dev_start(p.id); r != 0) fail("rte_eth_dev_start", r);
        started_.push_back(p.id);
        (void)rte_eth_promiscuous_enable(
            p.id); // virtual devices may not support it; frames are filtered by parse

        std::uint16_t actual = 0;
        if (rte_eth_dev_get_mtu(p.id, &actual) != 0 || actual == 0) actual = static_cast<std::uint16_t>(mtu);
        const std::uint32_t by_mtu =
            actual > ipv4_header_bytes + udp_header_bytes ? actual - ipv4_header_bytes - udp_header_bytes : 0;
        const std::uint32_t by_mbuf = room_ - RTE_PKTMBUF_HEADROOM - udp_frame_header_bytes;
        p.max_payload = std::min(by_mtu, by_mbuf);

        const std::uint64_t hz = rte_get_tsc_hz();
        const std::uint64_t drain = hz * cfg_.tx_drain_us / 1'000'000;
        const std::uint64_t retry = hz * std::max(min_retry_us, retry_drains * cfg_.tx_drain_us) / 1'000'000;
        for (std::uint16_t q = 0; q < p.cfg.tx_queues; ++q)
            p.tx.push_back(std::make_unique<tx_queue>(p.id, q, p.pool, drain, retry));
    }

    void wait_for_links() {
        const auto until = std::chrono::steady_clock::now() + link_wait;
        for (const auto& p : ports_) {
            rte_eth_link link{};
            while (rte_eth_link_get_nowait(p->id, &link) == 0 && link.link_status != RTE_ETH_LINK_UP &&
                   std::chrono::steady_clock::now() < until)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            if (link.link_status != RTE_ETH_LINK_UP)
                warnings_.push_back("dpdk.ports[" + std::to_string(p->index) + "] (" + quote(p->cfg.device) +
                                    "): link is down");
        }
    }

    void shutdown() noexcept {
        if (!eal_up_) return;
        for (auto& p : ports_) p->tx.clear(); // their buffered mbufs go back to the pools
        for (const std::uint16_t id : started_) (void)rte_eth_dev_stop(id);
        for (const auto& p : ports_) (void)rte_eth_dev_close(p->id); // closes pcap files, frees queues
        ports_.clear();
        for (auto& [socket, mp] : pools_) rte_mempool_free(mp);
        pools_.clear();
        (void)rte_eal_cleanup();
        eal_up_ = false;
        remove_runtime_dir();
    }

    dpdk_config cfg_;
    std::size_t egress_threads_;
    std::vector<std::uint32_t> polled_rx_queues_; ///< per port (empty: every rx queue)
    std::vector<std::string> args_;
    bool own_prefix_ = false;
    bool eal_up_ = false;
    std::string runtime_dir_;
    std::vector<std::unique_ptr<dpdk_port>> ports_;
    std::vector<std::uint16_t> started_;
    std::map<int, rte_mempool*> pools_;
    /// Per socket: mbufs of its pool beyond what the ports, sources,
    /// transmit buffers and thread caches can hold, for lane blocks to live
    /// in (dpdk_port::reserve_bound).
    std::map<int, std::unique_ptr<std::atomic<std::int64_t>>> bindable_;
    /// Per socket, what make_pools counted: the total, and of it the NICs' rx descriptors.
    struct pool_need {
        std::uint64_t total = 0, rx_descriptors = 0;
    };
    std::map<int, pool_need> pool_needs_;
    std::uint32_t room_ = 0;
    std::vector<std::string> warnings_;
};

} // namespace
} // namespace detail

std::unique_ptr<dpdk_environment> dpdk_environment::start(const dpdk_config& cfg, std::size_t egress_threads,
                                                          std::vector<std::uint32_t> polled_rx_queues) {
    return std::make_unique<detail::environment>(cfg, egress_threads, std::move(polled_rx_queues));
}

} // namespace shardgate
