// DPDK tx sink: one UDP/IPv4 frame per block, headers from a template built
// once, frames buffered per (port, tx queue) and sent in bursts.
//
// Zero copy: a block the sink has sent once is moved into an mbuf. The sink
// copies that first frame, then puts a fresh mbuf behind the block
// (lane::rebind: the block's memory is the mbuf's data area from one cache
// line in; the headers go in that line's last 42 bytes). From then on the
// core writes the block's records straight into an mbuf; the sink writes the
// headers in front, hands that mbuf to the NIC and puts another fresh one
// behind the block. The block goes back to its lane as before, when the NIC
// accepts the frame, and nothing else waits for the NIC. Not copying 1440
// bytes per frame gave shardgate-dpdkbench's one-thread layout about 3 %
// (113 -> 117 M records/s); with real NICs it also spares the memory bus.
//
// A lane's blocks are bound only when the pool can spare an mbuf for each of
// them beyond what the ports, sources, transmit buffers and thread caches can
// hold; the whole lane is reserved at its first bind (dpdk_port::
// reserve_bound), and the blocks of lanes that do not fit are copied. The
// sink unbinds its blocks (frees the mbufs, points them back at the lane's
// own memory) and gives the reservation back when destroyed: lanes outlive
// their egress.

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "dataplane/dpdk/port.hpp"

namespace shardgate::detail {

class dpdk_tx_sink final : public sink {
    /// Where a block's records start in its mbuf: one whole cache line in,
    /// the headers in its last 42 bytes, so the egress thread never writes
    /// a line the dataplane core writes records into.
    static constexpr std::uint32_t block_offset = bound_block_offset;
    static_assert(block_offset >= udp_frame_header_bytes);
    /// A block lives only in an mbuf fresh from the pool, whose data starts
    /// RTE_PKTMBUF_HEADROOM into its buffer (rte_pktmbuf_reset does that for
    /// every mbuf of a pool whose buffers are larger, which bind() checks
    /// before it moves a block into one): its frame's data_off is known
    /// without reading the mbuf. The mbuf's header line was last touched
    /// when it was allocated, a block's worth of traffic ago, and reading it
    /// back cost a cache miss per frame (about 2 % of the one-thread
    /// benchmark's cycles, in submit).
    static constexpr std::uint16_t bound_data_off =
        RTE_PKTMBUF_HEADROOM + block_offset - udp_frame_header_bytes;

public:
    dpdk_tx_sink(dpdk_port& port, tx_queue& queue, const udp_frame_template& tmpl, std::uint32_t max_payload,
                 std::string what)
        : port_(port), queue_(queue), template_(tmpl), max_payload_(max_payload), what_(std::move(what)),
          fresh_room_(fresh_room_of(queue.pool())) {}

    ~dpdk_tx_sink() override {
        queue_.forget(this); // frames still buffered (no close()): dropped, counted, blocks back
        port_.finish(status_);
        // Blocks that live in mbufs go back to the lane's own memory.
        for (std::uint32_t k = 0; k < bound_lanes_; ++k) {
            lane& l = *bound_[k];
            for (std::uint32_t i = 0; i < l.blocks(); ++i)
                if (void* h = l.handle(i)) {
                    rte_pktmbuf_free(static_cast<rte_mbuf*>(h));
                    l.rebind(i, l.own_data(i), nullptr);
                }
            port_.release_bound(l.blocks());
        }
    }

    bool submit(const tx_block& b, counter_block& counters) noexcept override {
        const std::uint64_t now = queue_.clock();
        if (b.length > max_payload_ || b.length == 0) [[unlikely]] {
            // A lane block larger than a frame: the runtime sized the lanes
            // wrong. Nothing can send it; count it instead of stopping.
            ++status_.frames_dropped;
            counters.add(counter::drop_tx);
            lost(b, counters);
            return true;
        }
        if (queue_.full()) {
            queue_.flush(now);
            if (queue_.full()) return false; // the NIC is behind: egress offers the block again
        }
        // The frame's mbuf: the block's own (its records are already in
        // place) or a fresh one to copy them into. Either way one fresh mbuf.
        rte_mbuf* fresh = queue_.alloc();
        if (fresh == nullptr) [[unlikely]] {
            ++status_.no_mbuf;
            return false;
        }
        auto* bound = static_cast<rte_mbuf*>(b.owner->handle(b.index));
        rte_mbuf* m = bound ? bound : fresh;
        std::byte* p;
        if (bound) {
            // The frame starts 42 bytes before the records (stores only to
            // the mbuf's header: see bound_data_off); behind the block from
            // now on: the fresh mbuf.
            m->data_off = bound_data_off;
            p = const_cast<std::byte*>(b.data) - udp_frame_header_bytes;
            b.owner->rebind(b.index, rte_pktmbuf_mtod(fresh, std::byte*) + block_offset, fresh);
        } else {
            p = rte_pktmbuf_mtod(m, std::byte*);
            std::memcpy(p + udp_frame_header_bytes, b.data, b.length);
            ++status_.frames_copied;
            bind(*b.owner, b.index);
        }
        const std::uint32_t frame = std::max(udp_frame_header_bytes + b.length, min_ethernet_frame);
        const std::uint16_t udp_sum = port_.udp_checksum_offload ? template_.pseudo_header_sum(b.length) : 0;
        template_.write(p, b.length, ip_id_++, !port_.ipv4_checksum_offload, udp_sum);
        if (frame > udp_frame_header_bytes + b.length) [[unlikely]]
            std::memset(p + udp_frame_header_bytes + b.length, 0, frame - udp_frame_header_bytes - b.length);
        m->data_len = static_cast<std::uint16_t>(frame);
        m->pkt_len = frame;
        if (port_.ipv4_checksum_offload || port_.udp_checksum_offload) {
            // Assigned, not or-ed in: the mbuf is fresh from the pool (no flags,
            // no offload lengths), and its header line is only stored to.
            m->tx_offload = rte_mbuf_tx_offload(ethernet_header_bytes, ipv4_header_bytes, 0, 0, 0, 0, 0);
            m->ol_flags = RTE_MBUF_F_TX_IPV4 | (port_.ipv4_checksum_offload ? RTE_MBUF_F_TX_IP_CKSUM : 0) |
                          (port_.udp_checksum_offload ? RTE_MBUF_F_TX_UDP_CKSUM : 0);
        }
        queue_.push(m, this, b, now, counters);
        ++held_;
        if (queue_.count() >= tx_queue::burst) queue_.flush(now);
        return true;
    }

    std::size_t poll(counter_block& /*counters*/) noexcept override {
        if (queue_.count() != 0 && queue_.checks_deadline(this)) {
            const std::uint64_t now = rte_rdtsc();
            if (queue_.due(now)) queue_.flush(now);
        }
        const std::size_t n = completed_;
        completed_ = 0;
        return n;
    }

    [[nodiscard]] bool idle() const noexcept override { return held_ == 0; }

    void close(counter_block& /*counters*/) noexcept override {
        // Keep offering until the NIC took everything or the retry window
        // passed; then drop (and count) what is left.
        const std::uint64_t start = rte_rdtsc();
        while (held_ != 0) {
            const std::uint64_t now = rte_rdtsc();
            const bool give_up = now - start >= queue_.retry_cycles();
            queue_.flush(now, give_up);
            if (give_up) break;
            if (held_ != 0) rte_pause();
        }
    }

    [[nodiscard]] std::string_view name() const noexcept override { return what_; }

    // --- called by tx_queue::flush on the egress thread ---------------------
    void on_sent(const tx_block& b, counter_block& counters) noexcept {
        --held_;
        ++completed_;
        ++status_.frames_sent;
        sent(b, counters);
    }
    void on_lost(const tx_block& b, counter_block& counters) noexcept {
        --held_;
        ++completed_;
        ++status_.frames_dropped;
        counters.add(counter::drop_tx);
        lost(b, counters);
    }
    void on_retry() noexcept { ++status_.retries; }

    [[nodiscard]] dpdk_tx_status status() const noexcept {
        dpdk_tx_status s = status_;
        s.held = held_;
        return s;
    }

private:
    /// Bytes from a fresh mbuf's data on: the pool's data room less the
    /// headroom (0 for a pool whose room the headroom takes whole).
    static std::uint32_t fresh_room_of(rte_mempool* pool) noexcept {
        const std::uint32_t room = rte_pktmbuf_data_room_size(pool);
        return room > RTE_PKTMBUF_HEADROOM ? room - RTE_PKTMBUF_HEADROOM : 0;
    }

    /// Puts a fresh mbuf behind block `index` (sent by copy just now), if the
    /// pool can spare it and its mbufs hold the headers' line, the block and
    /// lane::slack. They hold blocks of dpdk.payload_bytes (mbuf_data_room),
    /// the size the runtime gives DPDK sinks' lanes; a lane built with larger
    /// blocks is neither reserved nor bound: it stays in its own memory and
    /// copies every frame (frames_copied), the sink's other lanes unaffected.
    void bind(lane& l, std::uint32_t index) noexcept {
        if (refuse_binding_ || block_offset + l.block_bytes() + lane::slack > fresh_room_) return;
        lane** known = std::find(bound_.data(), bound_.data() + bound_lanes_, &l);
        if (known == bound_.data() + bound_lanes_) {
            if (bound_lanes_ == bound_.size()) return; // more lanes than this sink tracks: copy
            if (!port_.reserve_bound(l.blocks())) {
                refuse_binding_ = true; // the pool cannot spare an mbuf per block: copy
                ++status_.binding_refused;
                return;
            }
            bound_[bound_lanes_++] = &l;
        }
        rte_mbuf* m = queue_.alloc(); // data from RTE_PKTMBUF_HEADROOM on (see bound_data_off)
        if (m == nullptr) return;
        l.rebind(index, rte_pktmbuf_mtod(m, std::byte*) + block_offset, m);
        ++status_.blocks_bound;
    }

    dpdk_port& port_;
    tx_queue& queue_;
    udp_frame_template template_;
    std::uint32_t max_payload_;
    std::string what_;
    std::uint16_t ip_id_ = 0;
    std::uint32_t held_ = 0;
    // Lanes with blocks in mbufs, to unbind on destruction. A sink serves one
    // partition: one lane per dataplane core, at most 64 cores.
    std::array<lane*, 64> bound_{};
    std::uint32_t bound_lanes_ = 0;
    bool refuse_binding_ = false;
    std::uint32_t fresh_room_; ///< fresh_room_of(the queue's pool)
    std::size_t completed_ = 0;
    dpdk_tx_status status_;
};

// ------------------------------------------------------------------ tx_queue

tx_queue::tx_queue(std::uint16_t port, std::uint16_t queue, rte_mempool* pool, std::uint64_t drain_cycles,
                   std::uint64_t retry_cycles) noexcept
    : port_(port), queue_(queue), pool_(pool), drain_(drain_cycles), retry_(retry_cycles) {}

tx_queue::~tx_queue() {
    if (count_) rte_pktmbuf_free_bulk(mbufs_.data(), count_);
    if (stashed_) rte_pktmbuf_free_bulk(stash_.data(), stashed_);
}

rte_mbuf* tx_queue::alloc() noexcept {
    if (stashed_ == 0) [[unlikely]] {
        if (rte_pktmbuf_alloc_bulk(pool_, stash_.data(), stash_size) != 0) {
            // Not a whole stash left: take what there is, one by one.
            return rte_pktmbuf_alloc(pool_);
        }
        stashed_ = stash_size;
    }
    return stash_[--stashed_];
}

void tx_queue::push(rte_mbuf* m, dpdk_tx_sink* owner, const tx_block& b, std::uint64_t now,
                    counter_block& counters) noexcept {
    mbufs_[count_] = m;
    entries_[count_] = entry{owner, &counters, b, now};
    ++count_;
}

void tx_queue::remove_front(std::uint32_t n) noexcept {
    if (n == 0) return;
    const std::uint32_t rest = count_ - n;
    if (rest) {
        std::memmove(mbufs_.data(), mbufs_.data() + n, rest * sizeof(rte_mbuf*));
        std::memmove(static_cast<void*>(entries_.data()), entries_.data() + n, rest * sizeof(entry));
    }
    count_ = rest;
}

std::uint32_t tx_queue::flush(std::uint64_t now, bool give_up) noexcept {
    if (now > stamp_) stamp_ = now;
    backlog_ = false;
    if (count_ == 0) return 0;
    const std::uint16_t sent =
        rte_eth_tx_burst(port_, queue_, mbufs_.data(), static_cast<std::uint16_t>(count_));
    for (std::uint32_t i = 0; i < sent; ++i)
        entries_[i].owner->on_sent(entries_[i].block, *entries_[i].counters);
    remove_front(sent);
    if (count_ == 0) [[likely]]
        return sent;
    backlog_ = true; // stamp what comes next afresh: see clock()
    // Refused frames stay in order; those waiting longer than the retry
    // window (all of them when giving up) are dropped and counted.
    std::uint32_t expired = 0;
    while (expired < count_ && (give_up || now - entries_[expired].pushed >= retry_)) ++expired;
    for (std::uint32_t i = 0; i < expired; ++i)
        entries_[i].owner->on_lost(entries_[i].block, *entries_[i].counters);
    if (expired) rte_pktmbuf_free_bulk(mbufs_.data(), expired);
    remove_front(expired);
    if (count_) entries_[0].owner->on_retry();
    return sent;
}

void tx_queue::forget(dpdk_tx_sink* owner) noexcept {
    if (deadline_checker_ == owner) deadline_checker_ = nullptr;
    std::uint32_t kept = 0;
    for (std::uint32_t i = 0; i < count_; ++i) {
        if (entries_[i].owner == owner) {
            entries_[i].owner->on_lost(entries_[i].block, *entries_[i].counters);
            rte_pktmbuf_free(mbufs_[i]);
            continue;
        }
        mbufs_[kept] = mbufs_[i];
        entries_[kept] = entries_[i];
        ++kept;
    }
    count_ = kept;
}

// ------------------------------------------------------------------ dpdk_port (tx side)

void dpdk_port::finish(const dpdk_tx_status& s) noexcept {
    std::lock_guard lock(finished_mutex);
    tx_finished += s;
    ++sinks_finished;
}

// ------------------------------------------------------------------ maker

std::unique_ptr<sink> make_tx_sink(dpdk_port& port, tx_queue& queue, const sink_config& cfg,
                                   std::uint32_t payload_bytes, std::string what) {
    if (cfg.kind != sink_kind::dpdk)
        throw std::invalid_argument(what + ": not a dpdk sink (kind " + std::string(to_string(cfg.kind)) +
                                    ")");
    const std::string port_key = "dpdk.ports[" + std::to_string(port.index) + "]";
    if (port.cfg.ip.empty())
        throw std::invalid_argument(
            what + ": " + port_key +
            ".ip is empty; dpdk sinks need the source IPv4 address of the frames they "
            "build (e.g. ip = \"10.0.0.1\")");
    const mac_address src_mac =
        port.cfg.mac.empty() ? port.mac : parse_mac(port.cfg.mac, what + ": " + port_key + ".mac");
    const mac_address dst_mac = parse_mac(cfg.dpdk_mac, what + ": destination MAC");
    const std::uint32_t src_ip = parse_ipv4(port.cfg.ip, what + ": " + port_key + ".ip");
    const std::uint32_t dst_ip = parse_ipv4(cfg.destination.host, what + ": destination IP");
    if (payload_bytes > port.max_payload)
        throw std::invalid_argument(what + ": dpdk.payload_bytes (" + std::to_string(payload_bytes) +
                                    ") is more than a frame of " + port_key + " (\"" + port.cfg.device +
                                    "\") can carry (" + std::to_string(port.max_payload) +
                                    " bytes: its MTU or mbuf size); lower dpdk.payload_bytes");
    const udp_frame_template tmpl(src_mac, dst_mac, src_ip, dst_ip, port.cfg.udp_port, cfg.destination.port);
    return std::make_unique<dpdk_tx_sink>(port, queue, tmpl, payload_bytes, std::move(what));
}

} // namespace shardgate::detail

namespace shardgate {

dpdk_tx_status dpdk_status(const sink& s) {
    const auto* d = dynamic_cast<const detail::dpdk_tx_sink*>(&s);
    if (d == nullptr)
        throw std::invalid_argument("dpdk_status: sink \"" + std::string(s.name()) + "\" is not a DPDK sink");
    return d->status();
}

dpdk_tx_status& dpdk_tx_status::operator+=(const dpdk_tx_status& o) noexcept {
    frames_sent += o.frames_sent;
    frames_dropped += o.frames_dropped;
    no_mbuf += o.no_mbuf;
    retries += o.retries;
    frames_copied += o.frames_copied;
    blocks_bound += o.blocks_bound;
    binding_refused += o.binding_refused;
    return *this;
}

} // namespace shardgate
