// kafka_murmur2 / kafka_partition against librdkafka's own partitioner
// (rd_kafka_msg_partitioner_murmur2, which the Kafka C/C++ clients use and
// which matches the Java client's default partitioner), and against the
// published vectors of Kafka's and librdkafka's unit tests.
#include <boost/test/unit_test.hpp>

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "shardgate/hash.hpp"

using namespace shardgate;

namespace {

std::int32_t librdkafka_partition(const void* key, std::size_t len, std::int32_t n) {
    // The murmur2 partitioner uses neither the topic handle nor the opaques.
    return rd_kafka_msg_partitioner_murmur2(nullptr, key, len, n, nullptr, nullptr);
}

std::int32_t murmur2_signed(std::string_view s) {
    return static_cast<std::int32_t>(kafka_murmur2(s.data(), s.size()));
}

} // namespace

BOOST_AUTO_TEST_CASE(java_client_vectors) {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2 (signed Java ints).
    BOOST_TEST(murmur2_signed("21") == -973932308);
    BOOST_TEST(murmur2_signed("foobar") == -790332482);
    BOOST_TEST(murmur2_signed("a-little-bit-long-string") == -985981536);
    BOOST_TEST(murmur2_signed("a-little-bit-longer-string") == -1486304829);
    BOOST_TEST(murmur2_signed("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
    BOOST_TEST(murmur2_signed("abc") == 479470107);
}

BOOST_AUTO_TEST_CASE(librdkafka_unit_test_vectors) {
    // librdkafka src/rdmurmur2.c unittest_murmur2 (java_murmur2_results),
    // including its unaligned suffixes of the same buffers.
    const char* short_unaligned = "1234";
    const char* unaligned = "PreAmbleWillBeRemoved,ThePrePartThatIs";
    const struct {
        const char* key;
        std::uint32_t hash;
    } cases[] = {
        {"kafka", 0xd067cf64u},
        {"giberish123456789", 0x8f552b0cu},
        {short_unaligned, 0x9fc97b14u},
        {short_unaligned + 1, 0xe7c009cau},
        {short_unaligned + 2, 0x873930dau},
        {short_unaligned + 3, 0x5a4b5ca1u},
        {unaligned, 0x78424f1cu},
        {unaligned + 1, 0x4a62b377u},
        {unaligned + 2, 0xe0e4e09eu},
        {unaligned + 3, 0x62b8b43fu},
        {"", 0x106e08d9u},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("key \"" << c.key << "\"") {
            BOOST_TEST(kafka_murmur2(c.key, std::strlen(c.key)) == c.hash);
        }
    }
    BOOST_TEST(kafka_murmur2(nullptr, 0) == 0x106e08d9u); // a null key of length 0 hashes as ""
}

BOOST_AUTO_TEST_CASE(partition_matches_librdkafka_on_random_keys) {
    std::mt19937_64 rng(2024);
    std::size_t checked = 0, bad = 0;
    std::vector<unsigned char> key;
    for (int i = 0; i < 20000; ++i) {
        const std::size_t len = rng() % 301; // 0..300
        key.resize(len + 3);
        for (auto& b : key) b = static_cast<unsigned char>(rng());
        const unsigned char* k = key.data() + (rng() % 4); // unaligned starts too
        const auto n = static_cast<std::uint32_t>(1 + rng() % 1000);
        const std::uint32_t ours = kafka_partition(k, len, n);
        const std::int32_t theirs = librdkafka_partition(k, len, static_cast<std::int32_t>(n));
        ++checked;
        if (static_cast<std::int32_t>(ours) != theirs && ++bad <= 5)
            BOOST_ERROR("key " << i << " (" << len << " bytes), " << n << " partitions: kafka_partition "
                               << ours << ", librdkafka " << theirs);
    }
    BOOST_TEST_MESSAGE("kafka_partition checked against librdkafka on " << checked << " random keys");
    BOOST_TEST(bad == 0u);
}

BOOST_AUTO_TEST_CASE(every_partition_count_up_to_1000) {
    // Each N in 1..1000 with a handful of keys, so no count is skipped.
    std::mt19937_64 rng(11);
    for (std::int32_t n = 1; n <= 1000; ++n) {
        for (int j = 0; j < 8; ++j) {
            const std::string key = "key-" + std::to_string(rng());
            BOOST_TEST_CONTEXT("key " << key << ", N=" << n) {
                BOOST_TEST(static_cast<std::int32_t>(
                               kafka_partition(key.data(), key.size(), static_cast<std::uint32_t>(n))) ==
                           librdkafka_partition(key.data(), key.size(), n));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(burst_equals_single_key) {
    std::mt19937_64 rng(5);
    std::vector<std::string> storage(300);
    std::vector<key_ref> keys;
    for (std::size_t i = 0; i < storage.size(); ++i) {
        storage[i].resize(i % 40);
        for (auto& c : storage[i]) c = static_cast<char>(rng());
        keys.push_back({reinterpret_cast<const std::byte*>(storage[i].data()),
                        static_cast<std::uint32_t>(storage[i].size())});
    }
    std::vector<std::uint64_t> out(keys.size(), ~0ULL);
    kafka_murmur2_burst(keys, out);
    for (std::size_t i = 0; i < keys.size(); ++i)
        BOOST_TEST(out[i] == std::uint64_t{kafka_murmur2(storage[i].data(), storage[i].size())});
}
