#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <random>
#include <vector>

#include "shardgate/partition_table.hpp"

using namespace shardgate;

BOOST_AUTO_TEST_SUITE(partition_table_suite)

BOOST_AUTO_TEST_CASE(validates_bounds) {
    BOOST_CHECK_THROW(partition_table(0), std::invalid_argument);
    BOOST_CHECK_THROW(partition_table(8, 1000), std::invalid_argument); // not a power of two
    BOOST_CHECK_THROW(partition_table(17, 16), std::invalid_argument);  // N > G
    BOOST_CHECK_NO_THROW(partition_table(16, 16));
    BOOST_CHECK_NO_THROW(partition_table(1, 1));
}

BOOST_AUTO_TEST_CASE(partitions_own_contiguous_balanced_ranges) {
    for (std::uint32_t n : {1u, 2u, 3u, 7u, 16u, 100u, 4096u}) {
        partition_table t(n, 4096);
        std::vector<std::uint32_t> size(n, 0);
        std::uint32_t prev = 0;
        for (std::uint32_t g = 0; g < t.key_groups(); ++g) {
            const auto p = t.owner(g).value();
            BOOST_REQUIRE(p < n);
            BOOST_REQUIRE(p == prev || p == prev + 1); // contiguous, ascending
            prev = p;
            ++size[p];
        }
        const auto [lo, hi] = std::minmax_element(size.begin(), size.end());
        BOOST_TEST(*hi - *lo <= 1u, "N=" << n << " range sizes differ by " << *hi - *lo);
    }
}

BOOST_AUTO_TEST_CASE(lookup_is_the_owner_of_the_hash_group) {
    partition_table t(10, 1024);
    std::mt19937_64 rng(1);
    for (int i = 0; i < 10000; ++i) {
        const std::uint64_t h = rng();
        BOOST_REQUIRE(t(h) == t.owner(t.group_of(h)));
        BOOST_REQUIRE(t.group_of(h) == (h & 1023));
    }
}

// Going from N to N+1 partitions moves exactly the keys whose group changed
// owner, and nothing else; print how much that is.
BOOST_AUTO_TEST_CASE(growing_by_one_moves_only_changed_ranges) {
    std::mt19937_64 rng(7);
    std::vector<std::uint64_t> hashes(200000);
    for (auto& h : hashes) h = rng();
    for (std::uint32_t n : {1u, 2u, 3u, 8u, 15u, 16u, 63u}) {
        partition_table a(n), b(n + 1);
        std::uint32_t groups_changed = 0;
        for (std::uint32_t g = 0; g < a.key_groups(); ++g) groups_changed += a.owner(g) != b.owner(g);
        std::size_t moved = 0;
        for (auto h : hashes) {
            const bool key_moved = a(h) != b(h);
            const bool group_moved = a.owner(a.group_of(h)) != b.owner(b.group_of(h));
            BOOST_REQUIRE_EQUAL(key_moved, group_moved);
            moved += key_moved;
        }
        const double key_fraction = double(moved) / double(hashes.size());
        const double group_fraction = double(groups_changed) / a.key_groups();
        std::printf("partition table %u -> %u partitions: %.1f%% of keys moved (%.1f%% of groups)\n", n, n + 1,
                    100 * key_fraction, 100 * group_fraction);
        BOOST_TEST(std::abs(key_fraction - group_fraction) < 0.01); // keys follow their groups
        BOOST_TEST(key_fraction < 1.0);
    }
}

BOOST_AUTO_TEST_CASE(ranges_of_a_multiple_nest_in_ranges_of_a_divisor) {
    // The property smart_repartition relies on: when N | P, each P-range lies
    // inside the N-range p / (P/N).
    for (auto [n, p] : {std::pair{4u, 32u}, {3u, 12u}, {5u, 5u}, {1u, 7u}, {6u, 18u}}) {
        partition_table tn(n), tp(p);
        for (std::uint32_t g = 0; g < tn.key_groups(); ++g)
            BOOST_REQUIRE_EQUAL(tn.owner(g).value(), tp.owner(g).value() / (p / n));
    }
}

BOOST_AUTO_TEST_SUITE_END()
