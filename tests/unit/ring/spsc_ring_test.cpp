#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <numeric>
#include <thread>
#include <vector>

#include "shardgate/spsc_ring.hpp"

using shardgate::spsc_ring;

BOOST_AUTO_TEST_SUITE(spsc_ring_suite)

BOOST_AUTO_TEST_CASE(rejects_capacity_that_is_not_a_power_of_two) {
    BOOST_CHECK_THROW(spsc_ring<int>(0), std::invalid_argument);
    BOOST_CHECK_THROW(spsc_ring<int>(1), std::invalid_argument);
    BOOST_CHECK_THROW(spsc_ring<int>(12), std::invalid_argument);
    BOOST_CHECK_NO_THROW(spsc_ring<int>(16));
}

BOOST_AUTO_TEST_CASE(every_slot_is_usable_and_a_full_ring_takes_nothing) {
    spsc_ring<int> r(8);
    std::array<int, 10> in{};
    std::iota(in.begin(), in.end(), 1);
    BOOST_TEST(r.enqueue_burst(in) == 8u); // partial: only capacity fits
    BOOST_TEST(r.size() == 8u);
    BOOST_TEST(r.enqueue_burst(std::span<const int>(in.data(), 1)) == 0u);
    std::array<int, 10> out{};
    BOOST_TEST(r.dequeue_burst(out) == 8u);
    for (int i = 0; i < 8; ++i) BOOST_TEST(out[i] == i + 1);
    BOOST_TEST(r.dequeue_burst(out) == 0u);
    BOOST_TEST(r.empty());
}

BOOST_AUTO_TEST_CASE(wraps_around_in_order) {
    spsc_ring<std::uint64_t> r(8);
    std::uint64_t next_in = 0, next_out = 0;
    // Bursts of 3 in and 2 out walk the indices around the ring many times.
    for (int round = 0; round < 1000; ++round) {
        std::array<std::uint64_t, 3> in{next_in, next_in + 1, next_in + 2};
        next_in += r.enqueue_burst(in);
        std::array<std::uint64_t, 2> out{};
        const auto n = r.dequeue_burst(out);
        for (std::size_t i = 0; i < n; ++i) BOOST_REQUIRE_EQUAL(out[i], next_out++);
    }
    std::array<std::uint64_t, 8> rest{};
    const auto n = r.dequeue_burst(rest);
    for (std::size_t i = 0; i < n; ++i) BOOST_REQUIRE_EQUAL(rest[i], next_out++);
    BOOST_TEST(next_out == next_in);
    BOOST_TEST(next_in > 1000u);
}

BOOST_AUTO_TEST_CASE(partial_dequeue_returns_what_is_there) {
    spsc_ring<int> r(4);
    std::array<int, 2> in{7, 8};
    BOOST_TEST(r.enqueue_burst(in) == 2u);
    std::array<int, 4> out{};
    BOOST_TEST(r.dequeue_burst(out) == 2u);
    BOOST_TEST(out[0] == 7);
    BOOST_TEST(out[1] == 8);
}

BOOST_AUTO_TEST_CASE(bulk_is_all_or_nothing) {
    spsc_ring<int> r(4);
    std::array<int, 3> three{1, 2, 3};
    BOOST_TEST(r.enqueue_bulk(three));
    BOOST_TEST(!r.enqueue_bulk(std::span<const int>(three.data(), 2))); // only 1 free
    BOOST_TEST(r.size() == 3u);
    BOOST_TEST(r.enqueue_bulk(std::span<const int>(three.data(), 1)));
    BOOST_TEST(r.size() == 4u);
}

BOOST_AUTO_TEST_CASE(room_is_what_an_enqueue_can_take_now_up_to_what_is_wanted) {
    spsc_ring<std::uint32_t> r(8);
    BOOST_TEST(r.room(3) == 3u); // capped by what is wanted
    BOOST_TEST(r.room(100) == 8u);
    std::array<std::uint32_t, 6> in{1, 2, 3, 4, 5, 6};
    BOOST_TEST(r.enqueue_burst(in) == 6u);
    BOOST_TEST(r.room(8) == 2u);
    std::array<std::uint32_t, 4> out{};
    BOOST_TEST(r.dequeue_burst(out) == 4u);
    // The producer's cached view of the consumer is stale; asking for more
    // than it shows makes room() look again.
    BOOST_TEST(r.room(8) == 6u);
    BOOST_TEST(r.enqueue_burst(std::span<const std::uint32_t>(in.data(), 6)) == 6u);
    BOOST_TEST(r.room(8) == 0u);
}

BOOST_AUTO_TEST_CASE(two_threads_keep_order_and_count) {
    constexpr std::uint64_t total = 20'000'000;
    spsc_ring<std::uint64_t> r(1024);
    std::thread producer([&] {
        std::array<std::uint64_t, 32> buf{};
        std::uint64_t next = 0;
        while (next < total) {
            // Vary the burst size so partial bursts and wrap-around interleave.
            const std::size_t want = std::min<std::uint64_t>(1 + next % 32, total - next);
            for (std::size_t i = 0; i < want; ++i) buf[i] = next + i;
            next += r.enqueue_burst(std::span<const std::uint64_t>(buf.data(), want));
        }
    });
    std::uint64_t expect = 0;
    bool in_order = true;
    std::array<std::uint64_t, 64> out{};
    while (expect < total) {
        const std::size_t want = 1 + expect % 64;
        const auto n = r.dequeue_burst(std::span<std::uint64_t>(out.data(), want));
        for (std::size_t i = 0; i < n; ++i) in_order &= out[i] == expect++;
    }
    producer.join();
    BOOST_TEST(in_order);
    BOOST_TEST(expect == total);
    BOOST_TEST(r.empty());
}

BOOST_AUTO_TEST_CASE(single_item_push_and_pop_fill_empty_and_wrap) {
    spsc_ring<std::uint32_t> r(4);
    std::uint32_t v = 99;
    BOOST_TEST(!r.try_pop(v));
    BOOST_TEST(v == 99u); // untouched when empty
    for (std::uint32_t i = 0; i < 4; ++i) BOOST_TEST(r.try_push(i));
    BOOST_TEST(!r.try_push(4)); // every slot used
    BOOST_TEST(r.size() == 4u);
    // Single items and bursts share the indices: mix them across wrap-arounds.
    std::uint32_t next_in = 4, next_out = 0;
    for (int round = 0; round < 1000; ++round) {
        BOOST_REQUIRE(r.try_pop(v));
        BOOST_REQUIRE_EQUAL(v, next_out++);
        BOOST_REQUIRE(r.try_push(next_in++));
        std::array<std::uint32_t, 1> one{};
        BOOST_REQUIRE_EQUAL(r.dequeue_burst(one), 1u);
        BOOST_REQUIRE_EQUAL(one[0], next_out++);
        one[0] = next_in++;
        BOOST_REQUIRE_EQUAL(r.enqueue_burst(std::span<const std::uint32_t>(one)), 1u);
    }
    while (r.try_pop(v)) BOOST_REQUIRE_EQUAL(v, next_out++);
    BOOST_TEST(next_out == next_in);
}

BOOST_AUTO_TEST_CASE(deferred_pushes_show_at_the_commit_or_the_next_publishing_push) {
    spsc_ring<std::uint32_t> r(4);
    std::uint32_t v = 0;
    BOOST_TEST(r.try_push_deferred(1));
    BOOST_TEST(r.try_push_deferred(2));
    BOOST_TEST(r.empty());
    BOOST_TEST(!r.try_pop(v));
    r.commit();
    BOOST_TEST(r.size() == 2u);
    BOOST_REQUIRE(r.try_pop(v));
    BOOST_TEST(v == 1u);
    BOOST_REQUIRE(r.try_pop(v));
    BOOST_TEST(v == 2u);
    // A publishing push shows the deferred items ahead of it, in order.
    BOOST_TEST(r.try_push_deferred(3));
    BOOST_TEST(r.try_push(4));
    BOOST_TEST(r.size() == 2u);
    // Deferred items take room at once: two more fill the ring, a third fails.
    BOOST_TEST(r.try_push_deferred(5));
    BOOST_TEST(r.try_push_deferred(6));
    BOOST_TEST(!r.try_push_deferred(7));
    BOOST_TEST(r.size() == 2u);
    r.commit();
    for (const std::uint32_t want : {3u, 4u, 5u, 6u}) {
        BOOST_REQUIRE(r.try_pop(v));
        BOOST_TEST(v == want);
    }
    BOOST_TEST(!r.try_pop(v));
}

BOOST_AUTO_TEST_CASE(deferred_pushes_between_two_threads_keep_order_and_count) {
    // Committed in batches of 1 to 7: the consumer sees every item, in order,
    // and never one the producer has not committed yet.
    constexpr std::uint64_t total = 2'000'000;
    spsc_ring<std::uint64_t> r(64);
    std::atomic<std::uint64_t> committed{0};
    std::thread producer([&] {
        std::uint64_t next = 0;
        while (next < total) {
            const std::uint64_t batch = 1 + next % 7;
            std::uint64_t pushed = 0;
            while (pushed < batch && next + pushed < total && r.try_push_deferred(next + pushed)) ++pushed;
            next += pushed;
            committed.store(next, std::memory_order_relaxed); // before the commit: an upper bound
            r.commit();
        }
    });
    std::uint64_t expect = 0, v = 0;
    bool in_order = true, never_early = true;
    while (expect < total)
        if (r.try_pop(v)) {
            in_order &= v == expect++;
            never_early &= v < committed.load(std::memory_order_relaxed);
        }
    producer.join();
    BOOST_TEST(in_order);
    BOOST_TEST(never_early);
    BOOST_TEST(r.empty());
}

BOOST_AUTO_TEST_CASE(single_items_between_two_threads_keep_order_and_count) {
    constexpr std::uint64_t total = 5'000'000;
    spsc_ring<std::uint64_t> r(64);
    std::thread producer([&] {
        for (std::uint64_t next = 0; next < total;)
            if (r.try_push(next)) ++next;
    });
    std::uint64_t expect = 0, v = 0;
    bool in_order = true;
    while (expect < total)
        if (r.try_pop(v)) in_order &= v == expect++;
    producer.join();
    BOOST_TEST(in_order);
    BOOST_TEST(r.empty());
}

BOOST_AUTO_TEST_SUITE_END()
