#include "dataplane/route/router.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <type_traits>

namespace shardgate {
namespace {

std::uint32_t checked_partitions(const routing_params& p) {
    if (p.partitions == 0 || p.partitions > max_partitions)
        throw std::invalid_argument("partitions must be in [1, " + std::to_string(max_partitions) +
                                    "], got " + std::to_string(p.partitions));
    return p.partitions;
}

std::uint32_t effective_key_groups(const routing_params& p) {
    return p.key_groups ? p.key_groups : partition_table::default_key_groups;
}

counter key_counter(key_status s) noexcept {
    switch (s) {
    case key_status::missing: return counter::malformed_missing_key;
    case key_status::oversized: return counter::malformed_oversized;
    case key_status::bad_value:
    case key_status::ok: break;
    }
    return counter::malformed_bad_key_value;
}

/// Routes [0, n) by hash: extract all keys, hash all, then every partition at once.
std::size_t route_all_by_hash(const partition_function& fn, record_burst& b, key_extractor& keys,
                              std::span<partition_id> out, counter_block& counters) noexcept {
    const std::uint32_t n = b.size;
    const std::span<std::uint64_t> hash_out(b.hashes.data(), n);
    const field_key field = keys.extract_all_keys_or_field(b);
    if (field.size)
        fn.hash_fields(std::span<const record_view>(b.records.data(), n), field, hash_out);
    else
        fn.hash(std::span<const key_ref>(b.keys.data(), n), hash_out);
    // Every record gets its hash's partition without a branch; records whose
    // key failed (rare) are found by one OR over the states and fixed after.
    fn.partitions(hash_out, out);
    partition_id* const parts = out.data();
    if (field.size) return n; // a fixed layout's field is always there: no state to check
    const auto* const states = reinterpret_cast<const std::uint8_t*>(b.key_states.data());
    static_assert(sizeof(key_status) == 1 && static_cast<std::uint8_t>(key_status::ok) == 0);
    std::uint8_t any_bad = 0;
    for (std::uint32_t i = 0; i < n; ++i) any_bad |= states[i];
    if (any_bad == 0) [[likely]]
        return n;
    std::size_t routed = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        if (b.key_states[i] == key_status::ok) {
            ++routed;
        } else {
            parts[i] = invalid_partition;
            counters.add(key_counter(b.key_states[i]));
        }
    }
    return routed;
}

// Fast-path tables store partitions as 16 bits (max_partitions fits).
std::vector<std::uint16_t> smart_fast_map(const routing_params& p) {
    if (!smart_alignment_problem(p).empty()) return {};
    const std::uint32_t src = p.source.partitions;
    std::vector<std::uint16_t> map(src);
    const std::uint32_t ratio = src / p.partitions;
    for (std::uint32_t s = 0; s < src; ++s) {
        // kafka: h % N == (h % P) % N when N | P. xxh3 table: N's range
        // boundaries are a subset of P's (see partition_table), so P's range s
        // lies inside N's range s / (P/N).
        map[s] = static_cast<std::uint16_t>(p.hash == hash_function::kafka_murmur2 ? s % p.partitions
                                                                                   : s / ratio);
    }
    return map;
}

} // namespace

partition_function::partition_function(const routing_params& p)
    : kind_(p.hash), seed_(p.seed), partitions_(checked_partitions(p)),
      table_(p.partitions, effective_key_groups(p)) {}

void partition_function::hash(std::span<const key_ref> keys, std::span<std::uint64_t> hashes) const noexcept {
    if (kind_ == hash_function::xxh3)
        xxh3_burst(keys, seed_, hashes);
    else
        kafka_murmur2_burst(keys, hashes);
}

void partition_function::hash_fields(std::span<const record_view> records, field_key field,
                                     std::span<std::uint64_t> hashes) const noexcept {
    if (kind_ == hash_function::xxh3)
        xxh3_burst_fields(records, field.offset, field.size, seed_, hashes);
    else
        kafka_murmur2_burst_fields(records, field.offset, field.size, hashes);
}

void partition_function::partitions(std::span<const std::uint64_t> hashes,
                                    std::span<partition_id> out) const noexcept {
    if (kind_ == hash_function::xxh3) {
        partition_burst(table_, hashes, out);
        return;
    }
    const std::uint32_t n = partitions_; // a local: stores to out[] cannot alias it
    for (std::size_t i = 0; i < hashes.size(); ++i)
        out[i] = partition_id{kafka_partition_of(static_cast<std::uint32_t>(hashes[i]), n)};
}

router::router(const routing_params& p) : partitions_(checked_partitions(p)), strategy_(route::fan_in{}) {
    const bool hashing = p.strategy == strategy_kind::always_hash || p.strategy == strategy_kind::smart_repartition;
    if (hashing && p.keys.empty())
        throw std::invalid_argument(std::string(to_string(p.strategy)) + " needs at least one routing key");
    switch (p.strategy) {
    case strategy_kind::always_hash: strategy_ = route::always_hash{partition_function(p)}; break;
    case strategy_kind::smart_repartition: {
        const std::uint32_t every = std::max<std::uint32_t>(p.smart_sample_every, 1);
        strategy_ = route::smart_repartition{partition_function(p), smart_fast_map(p), every, 0, false};
        break;
    }
    case strategy_kind::round_robin: strategy_ = route::round_robin{partitions_, 0}; break;
    case strategy_kind::sticky_partition: {
        route::sticky_partition s{partitions_, {}};
        if (p.source.partitions > 0) {
            // Source partition s → s mod N: every partition gets ⌊P/N⌋ or ⌈P/N⌉
            // source partitions; a table makes it one load instead of a division.
            s.table.resize(p.source.partitions);
            for (std::uint32_t i = 0; i < p.source.partitions; ++i)
                s.table[i] = static_cast<std::uint16_t>(i % partitions_);
        }
        strategy_ = std::move(s);
        break;
    }
    case strategy_kind::fan_in:
        if (p.fan_in_target.value() >= partitions_)
            throw std::invalid_argument("fan_in target partition " + std::to_string(p.fan_in_target.value()) +
                                        " is out of range for " + std::to_string(partitions_) + " partitions");
        strategy_ = route::fan_in{p.fan_in_target};
        break;
    case strategy_kind::automatic:
        throw std::invalid_argument("the plan's strategy is still 'auto': the planner must resolve it");
    }
}

strategy_kind router::kind() const noexcept {
    constexpr std::array kinds{strategy_kind::always_hash, strategy_kind::smart_repartition, strategy_kind::round_robin,
                               strategy_kind::sticky_partition, strategy_kind::fan_in};
    return kinds[strategy_.index()];
}

bool router::smart_fast_path_active() const noexcept {
    const auto* s = std::get_if<route::smart_repartition>(&strategy_);
    return s && !s->fast_map.empty() && !s->fallen_back;
}

std::size_t router::route_burst(record_burst& b, key_extractor& keys, std::span<partition_id> out,
                                counter_block& counters) noexcept {
    const std::uint32_t n = b.size;
    return std::visit(
        [&](auto& s) -> std::size_t {
            using S = std::decay_t<decltype(s)>;
            if constexpr (std::is_same_v<S, route::always_hash>) {
                return route_all_by_hash(s.fn, b, keys, out, counters);
            } else if constexpr (std::is_same_v<S, route::smart_repartition>) {
                if (s.fast_map.empty() || s.fallen_back) {
                    const std::size_t routed = route_all_by_hash(s.fn, b, keys, out, counters);
                    counters.add(counter::smart_hashed, routed);
                    return routed;
                }
                // Fast path: route by source partition. Records without a
                // usable source partition, and one in sample_every, get hashed.
                std::array<std::uint16_t, max_burst> need;
                std::array<bool, max_burst> sampled;
                std::size_t needed = 0;
                const auto src_count = static_cast<std::uint32_t>(s.fast_map.size());
                std::uint32_t bad_source = 0;
                for (std::uint32_t i = 0; i < n; ++i) {
                    const std::uint32_t sp = b.source_partitions[i].value();
                    const bool usable = sp < src_count;
                    bad_source += !usable && b.source_partitions[i] != unknown_source_partition;
                    bool sample = false;
                    if (s.countdown == 0) {
                        s.countdown = s.sample_every;
                        sample = usable;
                    }
                    --s.countdown;
                    sampled[i] = sample;
                    out[i] = usable ? partition_id{s.fast_map[sp]} : invalid_partition;
                    if (!usable || sample) need[needed++] = static_cast<std::uint16_t>(i);
                }
                if (bad_source) counters.add(counter::bad_source_partition, bad_source);
                std::size_t hashed = 0, verified = 0, routed = n - needed;
                // Key reasons are counted only once the burst is known not to
                // fall back (route_all_by_hash would count them again).
                std::array<std::uint32_t, 4> bad_keys{};
                if (needed) {
                    keys.extract_keys(b, std::span<const std::uint16_t>(need.data(), needed));
                    std::array<key_ref, max_burst> ks;
                    std::array<std::uint64_t, max_burst> hs;
                    for (std::size_t j = 0; j < needed; ++j) ks[j] = b.keys[need[j]];
                    s.fn.hash(std::span<const key_ref>(ks.data(), needed), std::span<std::uint64_t>(hs.data(), needed));
                    for (std::size_t j = 0; j < needed; ++j) {
                        const std::uint16_t i = need[j];
                        b.hashes[i] = hs[j];
                        const bool key_ok = b.key_states[i] == key_status::ok;
                        if (sampled[i]) {
                            // A sampled record is routed by source partition
                            // whatever its key; the key only checks the claim.
                            ++routed;
                            if (!key_ok) continue;
                            if (s.fn(hs[j]) == out[i]) {
                                ++verified;
                                continue;
                            }
                            // The source's claim is false: hash everything from
                            // now on, starting with this whole burst. Aligned
                            // records hash where the fast path sent them, so the
                            // switch moves no group.
                            s.fallen_back = true;
                            counters.add(counter::smart_mismatch);
                            counters.add(counter::smart_verified, verified);
                            const std::size_t all = route_all_by_hash(s.fn, b, keys, out, counters);
                            counters.add(counter::smart_hashed, all);
                            return all;
                        }
                        if (key_ok) {
                            out[i] = s.fn(hs[j]);
                            ++routed;
                            ++hashed;
                        } else {
                            ++bad_keys[static_cast<std::size_t>(b.key_states[i])];
                        }
                    }
                }
                for (std::size_t k = 1; k < bad_keys.size(); ++k)
                    if (bad_keys[k]) counters.add(key_counter(static_cast<key_status>(k)), bad_keys[k]);
                counters.add(counter::smart_fast_path, routed - hashed);
                counters.add(counter::smart_verified, verified);
                counters.add(counter::smart_hashed, hashed);
                return routed;
            } else if constexpr (std::is_same_v<S, route::round_robin>) {
                std::uint32_t next = s.next;
                for (std::uint32_t i = 0; i < n; ++i) {
                    out[i] = partition_id{next};
                    next = next + 1 == s.partitions ? 0 : next + 1;
                }
                s.next = next;
                return n;
            } else if constexpr (std::is_same_v<S, route::sticky_partition>) {
                std::size_t routed = 0;
                std::uint32_t bad = 0;
                const auto declared = static_cast<std::uint32_t>(s.table.size());
                for (std::uint32_t i = 0; i < n; ++i) {
                    const source_partition sp = b.source_partitions[i];
                    if (declared ? sp.value() < declared : sp != unknown_source_partition) [[likely]] {
                        out[i] = partition_id{declared ? s.table[sp.value()] : sp.value() % s.partitions};
                        ++routed;
                    } else {
                        out[i] = invalid_partition;
                        ++bad;
                    }
                }
                if (bad) counters.add(counter::bad_source_partition, bad);
                return routed;
            } else {
                std::fill_n(out.begin(), n, s.target);
                return n;
            }
        },
        strategy_);
}

} // namespace shardgate
