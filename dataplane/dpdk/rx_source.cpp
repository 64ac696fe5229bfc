// DPDK rx source: rte_eth_rx_burst on one (port, queue); each UDP datagram's
// payload is handed to the core as one chunk that points into its mbuf, which
// is held until the core releases the chunk.

#include <cstring>
#include <stdexcept>
#include <vector>

#include "dataplane/dpdk/port.hpp"
#include "dataplane/dpdk/scratch.hpp"
#include "dataplane/pipeline/relay.hpp"

namespace shardgate::detail {
namespace {

// Chunks a source can have out at once. A core takes up to max_poll_chunks
// per poll and releases them before polling again; a relay (dpdk.rx_on_egress)
// keeps up to relay_depth out. That depth is what lets the core ride out the
// egress thread's pauses: with 128 the relay layout of shardgate-dpdkbench
// routed ~140 M records/s, with 512 ~157 M and with 1024 ~164 M (alternating
// runs, the host placing the two vCPUs close).
constexpr std::uint32_t slots = relay_depth;
static_assert(slots >= max_poll_chunks && slots <= 65536, "slot numbers are 16-bit");
// Frames taken per rte_eth_rx_burst: DPDK's usual burst, and the worker's
// chunk array size.
constexpr std::uint32_t rx_burst = 64;
// Scratch for payloads that cannot be used in place (multi-segment frames,
// or a payload ending less than rx_padding bytes before its buffer's end):
// 64 of the largest IPv4 UDP payloads would be 4 MiB; 512 KiB covers a full
// poll of MTU-sized copies and several jumbo ones. When it runs out the frame
// is skipped and counted (drop_rx_no_buffer).
constexpr std::size_t scratch_bytes = 512 * 1024;
// Marks a chunk whose payload lives in scratch (its mbuf was freed at once);
// the low bits name its scratch allocation.
constexpr std::uint32_t scratch_cookie = 0x80000000u;
static_assert(slots <= scratch_cookie, "mbuf slots and scratch cookies must not overlap");

nic_checksum ip_flag(std::uint64_t f) noexcept {
    switch (f & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
    case RTE_MBUF_F_RX_IP_CKSUM_BAD:
        return nic_checksum::bad;
    case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
    case RTE_MBUF_F_RX_IP_CKSUM_NONE:
        return nic_checksum::good; // NONE: header intact, checksum not filled
    default:
        return nic_checksum::unknown;
    }
}
nic_checksum l4_flag(std::uint64_t f) noexcept {
    return (f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD ? nic_checksum::bad
                                                                           : nic_checksum::unknown;
}

class dpdk_rx_source final : public source {
public:
    dpdk_rx_source(dpdk_port& port, const source_config& cfg, std::string what)
        : port_(port), queue_(cfg.dpdk_queue), udp_port_(cfg.udp_port), what_(std::move(what)),
          partition_(cfg.partition ? source_partition{*cfg.partition} : unknown_source_partition),
          scratch_(scratch_bytes, slots) {
        for (std::uint32_t i = 0; i < slots; ++i) free_[i] = static_cast<std::uint16_t>(slots - 1 - i);
        nfree_ = slots;
    }

    ~dpdk_rx_source() override {
        // Chunks never released (a core that died mid-burst): give their mbufs back.
        std::uint32_t n = 0;
        std::array<bool, slots> is_free{};
        for (std::uint32_t i = 0; i < nfree_; ++i) is_free[free_[i]] = true;
        for (std::uint32_t s = 0; s < slots; ++s)
            if (!is_free[s]) held_[n++] = held_[s];
        if (n) rte_pktmbuf_free_bulk(held_.data(), n);
        port_.finish(status_, queue_);
        port_.rx_claimed[queue_].store(false, std::memory_order_release);
    }

    std::size_t poll(std::span<rx_chunk> out, counter_block& counters) noexcept override {
        if (stopped_) [[unlikely]]
            return 0;
        const auto want = static_cast<std::uint16_t>(std::min<std::size_t>({out.size(), nfree_, rx_burst}));
        std::array<rte_mbuf*, rx_burst> rx;
        const std::uint16_t n = rte_eth_rx_burst(port_.id, queue_, rx.data(), want);
        if (n == 0) return 0;
        status_.frames += n;
        counters.add(counter::datagrams_in, n);

        std::array<rte_mbuf*, rx_burst> done; // mbufs to free now: skipped, empty or copied
        std::uint32_t ndone = 0, nout = 0, not_ours = 0, malformed = 0, no_room = 0;
        for (std::uint16_t i = 0; i < n; ++i) {
            rte_mbuf* m = rx[i];
            if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], const void*));
            const std::byte* data = rte_pktmbuf_mtod(m, const std::byte*);
            std::uint32_t len = rte_pktmbuf_data_len(m);
            bool in_scratch = false;
            std::uint32_t scratch_id = 0;
            // A frame skipped after its bytes went to scratch gives the space back.
            const auto skip = [&] {
                done[ndone++] = m;
                if (in_scratch) scratch_.give_back(scratch_id);
            };
            if (m->nb_segs > 1) [[unlikely]] {
                // Chained mbufs (a frame larger than one buffer): linearise,
                // then parse. With scratch full such a frame is counted as
                // no_scratch (drop_rx_no_buffer) whatever it carried: it was
                // not looked at. Chains are rare (frames above one mbuf's
                // data room), so they are not parsed twice to tell.
                // A chain whose segments do not add up to pkt_len (a driver
                // bug) would make rte_pktmbuf_read walk past its last
                // segment: counted as a short frame instead.
                const char* why = nullptr;
                if (rte_mbuf_check(m, 1, &why) != 0) {
                    ++status_.short_ethernet;
                    ++malformed;
                    done[ndone++] = m;
                    continue;
                }
                len = rte_pktmbuf_pkt_len(m);
                std::byte* dst = scratch_.take(len, scratch_id);
                if (dst == nullptr) {
                    ++no_room;
                    done[ndone++] = m;
                    continue;
                }
                // rte_pktmbuf_read copies only when the range spans segments; the
                // mbuf is freed at once, so the bytes must be in scratch either way.
                const auto* got = static_cast<const std::byte*>(rte_pktmbuf_read(m, 0, len, dst));
                if (got != dst) std::memcpy(dst, got, len);
                data = dst;
                in_scratch = true;
                ++status_.copied;
            }
            const parsed_frame f =
                parse_frame(std::span(data, len), udp_port_, ip_flag(m->ol_flags), l4_flag(m->ol_flags));
            if (f.verdict != frame_verdict::udp) [[unlikely]] {
                count_skip(f.verdict);
                (is_malformed(f.verdict) ? malformed : not_ours) += 1;
                skip();
                continue;
            }
            if (f.payload_length == 0) { // nothing to decode
                ++status_.datagrams;
                skip();
                continue;
            }
            const std::byte* payload = data + f.payload_offset;
            const auto* buf_end = static_cast<const std::byte*>(m->buf_addr) + m->buf_len;
            if (!in_scratch && payload + f.payload_length + rx_padding > buf_end) [[unlikely]] {
                // Decoders may read rx_padding bytes past a chunk; this payload
                // ends too close to its buffer's end, so it moves to scratch.
                std::byte* dst = scratch_.take(f.payload_length, scratch_id);
                if (dst == nullptr) {
                    ++no_room;
                    done[ndone++] = m;
                    continue;
                }
                std::memcpy(dst, payload, f.payload_length);
                payload = dst;
                in_scratch = true;
                ++status_.copied;
            }
            // Counted here, once it is handed on: a datagram dropped for want
            // of scratch above is counted in no_scratch alone.
            ++status_.datagrams;
            rx_chunk& c = out[nout++];
            c.data = payload;
            c.length = f.payload_length;
            c.partition = partition_;
            c.flags = chunk_none;
            if (in_scratch) {
                c.cookie = scratch_cookie | scratch_id;
                done[ndone++] = m;
            } else {
                const std::uint16_t slot = free_[--nfree_];
                held_[slot] = m;
                c.cookie = slot;
            }
        }
        if (ndone) rte_pktmbuf_free_bulk(done.data(), ndone);
        if (not_ours) counters.add(counter::not_ipv4_udp, not_ours);
        if (malformed) [[unlikely]]
            counters.add(counter::malformed_frame, malformed);
        if (no_room) [[unlikely]] {
            status_.no_scratch += no_room;
            counters.add(counter::drop_rx_no_buffer, no_room);
        }
        return nout;
    }

    void release(std::span<const rx_chunk> chunks) noexcept override {
        std::array<rte_mbuf*, 64> batch;
        std::uint32_t k = 0;
        for (const rx_chunk& c : chunks) {
            if (c.cookie & scratch_cookie) {
                scratch_.give_back(c.cookie & ~scratch_cookie);
                continue;
            }
            batch[k++] = held_[c.cookie];
            free_[nfree_++] = static_cast<std::uint16_t>(c.cookie);
            if (k == batch.size()) {
                rte_pktmbuf_free_bulk(batch.data(), k);
                k = 0;
            }
        }
        if (k) rte_pktmbuf_free_bulk(batch.data(), k);
    }

    [[nodiscard]] bool lossless() const noexcept override { return false; }
    [[nodiscard]] bool received_in_cache() const noexcept override { return port_.copies_on_receive; }
    [[nodiscard]] bool finished() const noexcept override {
        return stopped_ && nfree_ == slots && scratch_.empty();
    }
    void stop() noexcept override { stopped_ = true; }
    [[nodiscard]] std::string_view name() const noexcept override { return what_; }

    [[nodiscard]] dpdk_rx_status status() const noexcept {
        dpdk_rx_status s = status_;
        s.held = slots - nfree_;
        return s;
    }

private:
    void count_skip(frame_verdict v) noexcept {
        switch (v) {
        case frame_verdict::udp:
            break;
        case frame_verdict::not_ip:
            ++status_.not_ip;
            break;
        case frame_verdict::not_udp:
            ++status_.not_udp;
            break;
        case frame_verdict::fragment:
            ++status_.fragment;
            break;
        case frame_verdict::wrong_port:
            ++status_.wrong_port;
            break;
        case frame_verdict::short_ethernet:
            ++status_.short_ethernet;
            break;
        case frame_verdict::bad_ip_header:
            ++status_.bad_ip_header;
            break;
        case frame_verdict::bad_ip_length:
            ++status_.bad_ip_length;
            break;
        case frame_verdict::bad_ip_checksum:
            ++status_.bad_ip_checksum;
            break;
        case frame_verdict::bad_udp_length:
            ++status_.bad_udp_length;
            break;
        case frame_verdict::bad_l4_checksum:
            ++status_.bad_l4_checksum;
            break;
        }
    }

    dpdk_port& port_;
    std::uint16_t queue_;
    std::uint16_t udp_port_;
    std::string what_;
    source_partition partition_;
    std::array<rte_mbuf*, slots> held_{}; ///< by slot (the chunk's cookie)
    std::array<std::uint16_t, slots> free_{};
    std::uint32_t nfree_ = 0;
    scratch_ring scratch_;
    bool stopped_ = false;
    dpdk_rx_status status_;
};

} // namespace

std::unique_ptr<source> make_rx_source(dpdk_port& port, const source_config& cfg, std::string what) {
    return std::make_unique<dpdk_rx_source>(port, cfg, std::move(what));
}

void dpdk_port::finish(const dpdk_rx_status& s, std::uint16_t queue) noexcept {
    std::lock_guard lock(finished_mutex);
    rx_finished += s;
    if (queue < rx_queue_frames.size()) rx_queue_frames[queue] += s.frames;
    ++sources_finished;
}

} // namespace shardgate::detail

namespace shardgate {

dpdk_rx_status dpdk_status(const source& s) {
    const auto* d = dynamic_cast<const detail::dpdk_rx_source*>(&s);
    if (d == nullptr)
        throw std::invalid_argument("dpdk_status: source \"" + std::string(s.name()) +
                                    "\" is not a DPDK source");
    return d->status();
}

dpdk_rx_status& dpdk_rx_status::operator+=(const dpdk_rx_status& o) noexcept {
    frames += o.frames;
    datagrams += o.datagrams;
    copied += o.copied;
    no_scratch += o.no_scratch;
    not_ip += o.not_ip;
    not_udp += o.not_udp;
    fragment += o.fragment;
    wrong_port += o.wrong_port;
    short_ethernet += o.short_ethernet;
    bad_ip_header += o.bad_ip_header;
    bad_ip_length += o.bad_ip_length;
    bad_ip_checksum += o.bad_ip_checksum;
    bad_udp_length += o.bad_udp_length;
    bad_l4_checksum += o.bad_l4_checksum;
    return *this;
}

} // namespace shardgate
