// xxh3_burst on every dispatch path against libxxhash's own
// XXH3_64bits_withSeed (the shared library, not an inlined copy): every key
// length 0..1024, several seeds, unaligned keys, mixed-length bursts, every
// burst size 1..max_burst, longer bursts of runs of one length class, and
// keys that end at an unreadable page; and xxh3_burst_fields over NUL-padded
// fields of records.
#include <boost/test/unit_test.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "tests/support/allocation_counter.hpp"
#include "shardgate/burst.hpp"
#include "shardgate/hash.hpp"

using namespace shardgate;
namespace utf = boost::unit_test;


namespace {

constexpr std::array<std::uint64_t, 7> seeds{
    0, 1, 0x5eed, 0x9E3779B97F4A7C15ULL, 0xFFFFFFFFFFFFFFFFULL, 0x00000000FFFFFFFFULL, 0xFFFFFFFF00000000ULL,
};

/// Random bytes the keys are cut from; keys start at any offset, so most are
/// unaligned.
std::vector<std::byte> random_bytes(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::byte> v(n);
    for (auto& b : v) b = static_cast<std::byte>(rng());
    return v;
}

std::uint64_t libxxhash(const key_ref& k, std::uint64_t seed) {
    return XXH3_64bits_withSeed(k.data, k.length, seed);
}

/// Hashes `keys` with `path` and checks each result and that nothing past
/// keys.size() in the output was written. Returns the number of mismatches.
std::size_t check_burst(xxh3_path path, const std::vector<key_ref>& keys, std::uint64_t seed,
                        const char* what) {
    constexpr std::uint64_t sentinel = 0xA5A5A5A5A5A5A5A5ULL;
    std::vector<std::uint64_t> out(keys.size() + 9, sentinel);
    xxh3_burst(keys, seed, out, path);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const std::uint64_t want = libxxhash(keys[i], seed);
        if (out[i] != want) {
            if (++bad <= 5)
                BOOST_ERROR(what << ": path " << to_string(path) << ", seed 0x" << std::hex << seed
                                 << std::dec << ", key " << i << " of " << keys.size() << " (length "
                                 << keys[i].length << "): got 0x" << std::hex << out[i] << ", libxxhash 0x"
                                 << want);
        }
    }
    for (std::size_t i = keys.size(); i < out.size(); ++i)
        if (out[i] != sentinel) {
            ++bad;
            BOOST_ERROR(what << ": path " << to_string(path) << " wrote out[" << i << "] past a burst of "
                             << keys.size());
        }
    return bad;
}

/// Every length 0..1024 (each as a whole burst of that length, so the SIMD
/// paths see full vectors of one length class), under every seed, at offsets
/// 0..7 from an aligned base.
void all_lengths(xxh3_path path) {
    const auto bytes = random_bytes(64 * 1024, 42);
    std::size_t bad = 0;
    for (std::uint32_t len = 0; len <= 1024; ++len) {
        std::vector<key_ref> keys;
        for (std::size_t j = 0; j < 19; ++j) { // 19: two full vectors of 8 plus a tail of 3
            const std::size_t off = (j * 8 + j % 8 + len * 3) % (bytes.size() - 1032);
            keys.push_back({bytes.data() + off + j % 8, len});
        }
        for (auto seed : seeds) bad += check_burst(path, keys, seed, "uniform length");
    }
    BOOST_TEST(bad == 0u);
}

/// Bursts of every size 1..max_burst with random lengths (mostly short, so
/// vectors mix the 0, 1..3, 4..8, 9..16 byte classes and longer keys).
void mixed_bursts(xxh3_path path) {
    const auto bytes = random_bytes(64 * 1024, 7);
    std::mt19937_64 rng(99);
    std::size_t bad = 0;
    for (std::size_t size = 1; size <= max_burst; ++size) {
        std::vector<key_ref> keys(size);
        for (auto& k : keys) {
            const std::uint64_t r = rng();
            const std::uint32_t len = (r & 3) ? static_cast<std::uint32_t>(r >> 8) % 21    // 0..20
                                              : static_cast<std::uint32_t>(r >> 8) % 1025; // 0..1024
            k = {bytes.data() + (r >> 32) % (bytes.size() - len), len};
        }
        bad += check_burst(path, keys, seeds[size % seeds.size()] ^ size, "mixed burst");
    }
    BOOST_TEST(bad == 0u);
}

/// Long bursts (beyond max_burst) made of runs of one length class of random
/// size, so runs of fixed-width keys start and stop anywhere in a vector and
/// mixed stretches sit between them.
void runs_of_classes(xxh3_path path) {
    const auto bytes = random_bytes(64 * 1024, 9);
    std::mt19937_64 rng(17);
    constexpr std::uint32_t classes[][2] = {{0, 0}, {1, 3}, {4, 8}, {9, 16}, {17, 128}, {129, 300}, {1, 16}};
    std::size_t bad = 0;
    for (int round = 0; round < 40; ++round) {
        std::vector<key_ref> keys;
        const std::size_t total = 1 + rng() % 1200;
        while (keys.size() < total) {
            const auto& cls = classes[rng() % std::size(classes)];
            const std::size_t run = 1 + rng() % 40;
            for (std::size_t j = 0; j < run && keys.size() < total; ++j) {
                const auto len = static_cast<std::uint32_t>(cls[0] + rng() % (cls[1] - cls[0] + 1));
                keys.push_back({bytes.data() + rng() % (bytes.size() - len), len});
            }
        }
        bad += check_burst(path, keys, seeds[round % seeds.size()], "runs of classes");
    }
    BOOST_TEST(bad == 0u);
}

/// Keys that end exactly where a readable page ends (and start exactly where
/// one starts): a path that reads past a key's bytes dies here.
void page_edges(xxh3_path path) {
    const long page = sysconf(_SC_PAGESIZE);
    void* mem = mmap(nullptr, static_cast<std::size_t>(3 * page), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    BOOST_REQUIRE(mem != MAP_FAILED);
    auto* base = static_cast<std::byte*>(mem);
    std::byte* mid = base + page;
    for (long i = 0; i < page; ++i) mid[i] = static_cast<std::byte>(i * 131 + 7);
    BOOST_REQUIRE(mprotect(base, static_cast<std::size_t>(page), PROT_NONE) == 0);
    BOOST_REQUIRE(mprotect(mid + page, static_cast<std::size_t>(page), PROT_NONE) == 0);
    std::vector<key_ref> keys;
    for (std::uint32_t len = 0; len <= 300; ++len) {
        keys.push_back({mid + page - len, len}); // ends at the guard page
        keys.push_back({mid, len});              // starts after the guard page
    }
    for (auto seed : seeds) BOOST_TEST(check_burst(path, keys, seed, "page edge") == 0u);
    munmap(mem, static_cast<std::size_t>(3 * page));
}

/// Records with a NUL-padded str field of every size 1..20 at offsets 0..5,
/// as fixed layouts have them: values of every length 0..size (some with
/// NULs inside, which stay), random bytes around the field (which must not
/// count), in bursts of every size up to 40 and of 300 (beyond max_burst).
/// Checks each hash against libxxhash over the trimmed value, and the keys
/// slice_field_keys makes against a byte scan.
void record_fields(xxh3_path path) {
    std::mt19937_64 rng(2024);
    std::size_t bad = 0;
    for (std::uint32_t size = 1; size <= 20; ++size) { // beyond 16: the slicing fallback
        for (std::size_t burst = 1; burst <= 41; ++burst) {
            const std::size_t count = burst == 41 ? 300 : burst;
            const std::uint32_t offset = static_cast<std::uint32_t>(burst % 6);
            // Each record: `offset` bytes, the field, then 16 bytes, so a
            // 16-byte read of any field stays inside the buffer.
            const std::size_t stride = offset + size + 16;
            std::vector<std::byte> buf(count * stride);
            for (auto& b : buf) b = static_cast<std::byte>(rng() | 1);
            std::vector<record_view> records(count);
            std::vector<key_ref> want(count);
            for (std::size_t i = 0; i < count; ++i) {
                std::byte* rec = buf.data() + i * stride;
                std::byte* f = rec + offset;
                // Mostly one length (runs of one class), sometimes any.
                const std::uint32_t len =
                    rng() % 4 ? std::min<std::uint32_t>(size, 1 + burst % size) : rng() % (size + 1);
                for (std::uint32_t j = len; j < size; ++j) f[j] = std::byte{0};
                if (len > 2 && rng() % 3 == 0) f[rng() % (len - 1)] = std::byte{0}; // an inner NUL stays
                records[i] = {rec, static_cast<std::uint32_t>(stride)};
                want[i] = {f, len};
            }
            const std::uint64_t seed = seeds[(size + burst) % seeds.size()];
            std::vector<std::uint64_t> out(count + 9, 0xA5A5A5A5A5A5A5A5ULL);
            xxh3_burst_fields(records, offset, size, seed, out, path);
            std::vector<key_ref> sliced(count);
            slice_field_keys(records, offset, size, sliced);
            for (std::size_t i = 0; i < count; ++i) {
                if (out[i] != libxxhash(want[i], seed) || sliced[i].data != want[i].data ||
                    sliced[i].length != want[i].length) {
                    if (++bad <= 5)
                        BOOST_ERROR("field of " << size << " bytes at " << offset << ", record " << i
                                                << " of " << count << " (value length " << want[i].length
                                                << "): hash 0x" << std::hex << out[i] << ", libxxhash 0x"
                                                << libxxhash(want[i], seed) << std::dec << "; sliced length "
                                                << sliced[i].length);
                }
            }
            for (std::size_t i = count; i < out.size(); ++i) bad += out[i] != 0xA5A5A5A5A5A5A5A5ULL;
        }
    }
    BOOST_TEST(bad == 0u);
}

/// partition_burst on `path` against the table one hash at a time, for
/// bursts of 0..300 hashes (every tail of the vector paths) and tables from
/// one group to the largest (2^24 groups onto 65535 partitions: the product
/// of a group and N needs more than 32 bits there), with nothing written
/// past the burst.
void partitions(xxh3_path path) {
    std::mt19937_64 rng(29);
    std::size_t bad = 0;
    const std::pair<std::uint32_t, std::uint32_t> tables[] = {
        {1, 1}, {1, 4096}, {3, 4096}, {8, 4096}, {255, 256}, {1000, 1u << 20}, {65535, 1u << 24}, {65535, 65536}};
    for (const auto& [n, groups] : tables) {
        const partition_table table(n, groups);
        for (std::size_t count = 0; count <= 300; count += count < 20 ? 1 : 40) {
            std::vector<std::uint64_t> hashes(count);
            for (auto& h : hashes) h = rng();
            // Groups at both ends of the table, where a lost high bit shows.
            if (count > 1) hashes[0] |= groups - 1;
            if (count > 2) hashes[1] &= ~std::uint64_t{groups - 1};
            std::vector<partition_id> out(count + 9, partition_id{0xA5A5A5A5u});
            partition_burst(table, hashes, out, path);
            for (std::size_t i = 0; i < count; ++i) {
                const std::uint64_t group = hashes[i] & (groups - 1);
                const partition_id want{static_cast<std::uint32_t>(group * n / groups)};
                if (out[i] != want || table(hashes[i]) != want) {
                    if (++bad <= 5)
                        BOOST_ERROR(n << " partitions of " << groups << " groups, hash " << i << " of " << count
                                      << ": partition_burst " << out[i].value() << ", table "
                                      << table(hashes[i]).value() << ", want " << want.value());
                }
            }
            for (std::size_t i = count; i < out.size(); ++i) bad += out[i] != partition_id{0xA5A5A5A5u};
        }
    }
    BOOST_TEST(bad == 0u);
}

/// A test case runs only on a CPU that has its path; otherwise Boost.Test
/// counts it skipped (the summary, report_level=short, says how many) and
/// the reason is printed to the test log.
struct path_available {
    xxh3_path path;
    boost::test_tools::assertion_result operator()(utf::test_unit_id id) const {
        boost::test_tools::assertion_result r(xxh3_path_available(path));
        if (!r) {
            r.message() << "this CPU cannot run the " << to_string(path) << " path";
            std::cout << "SKIPPED " << utf::framework::get(id, utf::TUT_ANY).p_name.get()
                      << ": this CPU cannot run the " << to_string(path) << " path\n";
        }
        return r;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(xxh3_burst_paths)

#define SG_PATH_CASES(p)                                                                                     \
    BOOST_AUTO_TEST_CASE(p##_all_lengths, *utf::precondition(path_available{xxh3_path::p})) {                \
        all_lengths(xxh3_path::p);                                                                           \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(p##_mixed_bursts, *utf::precondition(path_available{xxh3_path::p})) {               \
        mixed_bursts(xxh3_path::p);                                                                          \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(p##_runs_of_classes, *utf::precondition(path_available{xxh3_path::p})) {            \
        runs_of_classes(xxh3_path::p);                                                                       \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(p##_page_edges, *utf::precondition(path_available{xxh3_path::p})) {                 \
        page_edges(xxh3_path::p);                                                                            \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(p##_record_fields, *utf::precondition(path_available{xxh3_path::p})) {              \
        record_fields(xxh3_path::p);                                                                         \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(p##_partitions, *utf::precondition(path_available{xxh3_path::p})) {                 \
        partitions(xxh3_path::p);                                                                            \
    }

SG_PATH_CASES(scalar)
SG_PATH_CASES(interleaved)
SG_PATH_CASES(avx2)
SG_PATH_CASES(avx512)
SG_PATH_CASES(best)

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(best_path_is_available_and_says_which) {
    const xxh3_path best = xxh3_best_path();
    BOOST_TEST_MESSAGE("xxh3 best path on this CPU: " << to_string(best));
    BOOST_TEST((best != xxh3_path::best));
    BOOST_TEST(xxh3_path_available(best));
    BOOST_TEST(xxh3_path_available(xxh3_path::scalar));
    BOOST_TEST(xxh3_path_available(xxh3_path::interleaved));
    // A SIMD path is best whenever the CPU has one.
    if (xxh3_path_available(xxh3_path::avx2) || xxh3_path_available(xxh3_path::avx512))
        BOOST_TEST((best == xxh3_path::avx2 || best == xxh3_path::avx512));
}

BOOST_AUTO_TEST_CASE(availability_matches_the_cpu) {
    __builtin_cpu_init();
    const bool popcnt = __builtin_cpu_supports("popcnt");
    BOOST_TEST(xxh3_path_available(xxh3_path::avx2) == (popcnt && __builtin_cpu_supports("avx2")));
    const bool avx512 = popcnt && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    BOOST_TEST(xxh3_path_available(xxh3_path::avx512) == avx512);
}

BOOST_AUTO_TEST_CASE(bursts_allocate_nothing) {
    const auto bytes = random_bytes(8192, 5);
    std::mt19937_64 rng(8);
    std::vector<key_ref> keys(1000);
    for (auto& k : keys) {
        const auto len = static_cast<std::uint32_t>(rng() % 300);
        k = {bytes.data() + rng() % (bytes.size() - len), len};
    }
    std::vector<std::uint64_t> out(keys.size());
    (void)xxh3_best_path(); // the one-time CPU detection happens at start in the dataplane too
    for (auto p :
         {xxh3_path::scalar, xxh3_path::interleaved, xxh3_path::avx2, xxh3_path::avx512, xxh3_path::best}) {
        test::allocation_scope allocs;
        xxh3_burst(keys, 3, out, p);
        kafka_murmur2_burst(keys, out);
        BOOST_TEST(allocs.count() == 0u, "path " << to_string(p) << " allocated " << allocs.count() << " times");
    }
}

BOOST_AUTO_TEST_CASE(empty_burst_writes_nothing) {
    std::array<std::uint64_t, 4> out{1, 2, 3, 4};
    for (auto p :
         {xxh3_path::scalar, xxh3_path::interleaved, xxh3_path::avx2, xxh3_path::avx512, xxh3_path::best}) {
        xxh3_burst({}, 5, out, p);
        BOOST_TEST((out == std::array<std::uint64_t, 4>{1, 2, 3, 4}));
    }
}

BOOST_AUTO_TEST_CASE(null_empty_key_hashes_as_empty) {
    // A key whose extraction failed is {nullptr, 0}; it must hash like "".
    const std::vector<key_ref> keys(13, key_ref{});
    std::vector<std::uint64_t> out(keys.size());
    for (auto p :
         {xxh3_path::scalar, xxh3_path::interleaved, xxh3_path::avx2, xxh3_path::avx512, xxh3_path::best}) {
        if (!xxh3_path_available(p)) continue;
        xxh3_burst(keys, 77, out, p);
        for (auto h : out) BOOST_TEST(h == XXH3_64bits_withSeed("", 0, 77));
    }
}

BOOST_AUTO_TEST_CASE(single_key_reference_matches_libxxhash) {
    const auto bytes = random_bytes(2048, 3);
    for (std::size_t len = 0; len <= 1024; ++len)
        for (auto seed : seeds)
            BOOST_TEST(xxh3_64(bytes.data() + 1, len, seed) ==
                       XXH3_64bits_withSeed(bytes.data() + 1, len, seed));
}
