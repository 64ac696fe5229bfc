#pragma once
/// Key hashing: XXH3-64 over bursts of keys (batched, SIMD where the CPU has
/// it), and Kafka's murmur2 for topics produced by Kafka clients.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "shardgate/partition_table.hpp"
#include "shardgate/record.hpp"

namespace shardgate {

/// The partition function a plan uses.
enum class hash_function : std::uint8_t {
    xxh3,          ///< XXH3-64(seed) → power-of-two key-group table → partition
    kafka_murmur2, ///< (murmur2(key) & 0x7fffffff) % N, as Kafka's default partitioner
};

[[nodiscard]] constexpr std::string_view to_string(hash_function h) noexcept {
    return h == hash_function::xxh3 ? "xxh3" : "kafka_murmur2";
}

/// Batch XXH3 implementations; `best` is picked once at start from CPU features.
enum class xxh3_path : std::uint8_t {
    scalar,      ///< the reference: xxHash's XXH3_64bits_withSeed inlined, key by key
    interleaved, ///< portable: keys grouped by length class, each class hashed without branches
    avx2,        ///< four keys per vector (runtime-checked; any x86-64 build)
    avx512,      ///< eight keys per vector; needs AVX-512 F, DQ, BW, VL and CD
    best,        ///< the fastest this CPU runs: avx512, else avx2, else interleaved
};

[[nodiscard]] std::string_view to_string(xxh3_path p) noexcept;

/// True when this CPU (and this build) can run `p`.
[[nodiscard]] bool xxh3_path_available(xxh3_path p) noexcept;

/// Path `best` resolves to on this CPU.
[[nodiscard]] xxh3_path xxh3_best_path() noexcept;

/// XXH3_64bits_withSeed of each key: out[i] = XXH3(keys[i], seed), bit-identical
/// to libxxhash. Precondition: out.size() >= keys.size(); writes out[0,
/// keys.size()) only. A path this CPU cannot run runs `best` instead. Any
/// thread; no allocation, no lock (the first call of any function here
/// detects the CPU once, in a thread-safe static); keys are read exactly,
/// never past their last byte. Cost on the development machine (AVX-512, see README
/// "Performance" and tools/hashbench): ≈ 0.5 ns/key for keys of 16 bytes or
/// less, 0.8 ns at 32 bytes, 1.4 ns at 64, at bursts of 256.
void xxh3_burst(std::span<const key_ref> keys, std::uint64_t seed, std::span<std::uint64_t> out,
                xxh3_path path = xxh3_path::best) noexcept;

/// XXH3 of one str field of each record: out[i] = XXH3(records[i]'s field
/// [offset, offset + field_bytes) without its trailing NUL padding, seed).
/// At least 16 bytes are readable at each field (a fixed record is followed
/// by more records or by rx_padding). On the avx512 path a field of at most
/// 16 bytes is read, trimmed and hashed eight fields per vector in one
/// pass; longer fields and the other paths slice the keys
/// (slice_field_keys), then run xxh3_burst.
void xxh3_burst_fields(std::span<const record_view> records, std::uint32_t offset, std::uint32_t field_bytes,
                       std::uint64_t seed, std::span<std::uint64_t> out,
                       xxh3_path path = xxh3_path::best) noexcept;

/// out[i] = table(hashes[i]) for a burst of hashes: on the avx512 path eight
/// per vector, four on avx2, the others one by one (a mask, a multiply and a
/// shift each; see partition_table). out.size() >= hashes.size().
void partition_burst(const partition_table& table, std::span<const std::uint64_t> hashes,
                     std::span<partition_id> out, xxh3_path path = xxh3_path::best) noexcept;
/// keys[i] = records[i]'s str field at `offset`, trimmed of its NUL padding
/// (the keys xxh3_burst_fields hashes). keys.size() >= records.size().
void slice_field_keys(std::span<const record_view> records, std::uint32_t offset, std::uint32_t field_bytes,
                      std::span<key_ref> keys) noexcept;

/// Single key XXH3_64bits_withSeed (the scalar reference).
[[nodiscard]] std::uint64_t xxh3_64(const void* data, std::size_t length, std::uint64_t seed) noexcept;

/// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2, seed
/// 0x9747b28c), bit for bit, as a signed-agnostic 32-bit value.
[[nodiscard]] std::uint32_t kafka_murmur2(const void* data, std::size_t length) noexcept;

/// Kafka's default partition for a key's murmur2: (murmur2 & 0x7fffffff) % n.
[[nodiscard]] inline std::uint32_t kafka_partition_of(std::uint32_t murmur2, std::uint32_t n) noexcept {
    return (murmur2 & 0x7fffffffu) % n;
}

/// Kafka's default partition for a key: (murmur2(key) & 0x7fffffff) % n.
[[nodiscard]] inline std::uint32_t kafka_partition(const void* data, std::size_t length,
                                                   std::uint32_t n) noexcept {
    return kafka_partition_of(kafka_murmur2(data, length), n);
}

/// kafka_murmur2 of each key into out[i] (zero-extended).
void kafka_murmur2_burst(std::span<const key_ref> keys, std::span<std::uint64_t> out) noexcept;
/// kafka_murmur2 of each record's str field, as xxh3_burst_fields reads it
/// (trimmed of its NUL padding), into out[i] (zero-extended).
void kafka_murmur2_burst_fields(std::span<const record_view> records, std::uint32_t offset,
                                std::uint32_t field_bytes, std::span<std::uint64_t> out) noexcept;

} // namespace shardgate
