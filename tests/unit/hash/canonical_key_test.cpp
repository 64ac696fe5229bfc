// encode_canonical_key: typed, length-prefixed keys that keep distinct keys
// distinct and equal SQL values equal.
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "shardgate/key.hpp"

using namespace shardgate;

namespace {

std::vector<std::byte> encode(std::initializer_list<key_value> values) {
    const std::vector<key_value> v(values);
    std::vector<std::byte> out(canonical_key_size(v));
    const std::size_t n = encode_canonical_key(v, out);
    BOOST_REQUIRE(n != key_encode_failed);
    BOOST_REQUIRE_EQUAL(n, out.size());
    return out;
}

std::vector<std::byte> bytes(std::initializer_list<int> b) {
    std::vector<std::byte> v;
    for (int x : b) v.push_back(static_cast<std::byte>(x));
    return v;
}

} // namespace

BOOST_AUTO_TEST_CASE(string_boundaries_are_kept) {
    const auto ab_c = encode({key_value::of_string("ab"), key_value::of_string("c")});
    const auto a_bc = encode({key_value::of_string("a"), key_value::of_string("bc")});
    BOOST_TEST((ab_c != a_bc));
    // tag 4, length 2 LE, "ab", tag 4, length 1 LE, "c"
    BOOST_TEST((ab_c == bytes({4, 2, 0, 0, 0, 'a', 'b', 4, 1, 0, 0, 0, 'c'})));
}

BOOST_AUTO_TEST_CASE(null_is_not_the_string_null) {
    const auto null_key = encode({key_value::null_value(), key_value::of_int(1)});
    const auto text_key = encode({key_value::of_string("NULL"), key_value::of_int(1)});
    BOOST_TEST((null_key != text_key));
    BOOST_TEST((encode({key_value::null_value()}) == bytes({0})));
    BOOST_TEST((encode({key_value::null_value()}) != encode({key_value::of_string("NULL")})));
    BOOST_TEST((encode({key_value::null_value()}) != encode({key_value::of_string("")})));
}

BOOST_AUTO_TEST_CASE(single_string_is_its_raw_bytes) {
    BOOST_TEST((encode({key_value::of_string("IBM")}) == bytes({'I', 'B', 'M'})));
    BOOST_TEST(encode({key_value::of_string("")}).empty());
    // Two strings are no longer raw.
    BOOST_TEST(encode({key_value::of_string("I"), key_value::of_string("BM")}).size() ==
               3u + 2 * 5); // 3 bytes of text, a tag and a 4-byte length each
}

BOOST_AUTO_TEST_CASE(type_tags_and_layout) {
    BOOST_TEST((encode({key_value::of_bool(true), key_value::of_bool(false)}) == bytes({1, 1, 1, 0})));
    BOOST_TEST((encode({key_value::of_int(0x0102030405060708), key_value::null_value()}) ==
                bytes({2, 8, 7, 6, 5, 4, 3, 2, 1, 0})));
    BOOST_TEST((encode({key_value::of_int(-1), key_value::null_value()}) ==
                bytes({2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0})));
    // 1.0 = 0x3FF0000000000000
    BOOST_TEST((encode({key_value::of_double(1.0), key_value::null_value()}) ==
                bytes({3, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0})));
    // Same number, different types: different keys (the key's type is part of it).
    BOOST_TEST((encode({key_value::of_int(1), key_value::null_value()}) !=
                encode({key_value::of_double(1.0), key_value::null_value()})));
    BOOST_TEST((encode({key_value::of_int(1), key_value::null_value()}) !=
                encode({key_value::of_bool(true), key_value::null_value()})));
    BOOST_TEST((encode({key_value::of_int(0), key_value::null_value()}) !=
                encode({key_value::of_bool(false), key_value::null_value()})));
}

BOOST_AUTO_TEST_CASE(negative_zero_equals_positive_zero) {
    const auto pos = encode({key_value::of_double(0.0), key_value::of_int(7)});
    const auto neg = encode({key_value::of_double(-0.0), key_value::of_int(7)});
    BOOST_TEST((pos == neg));
    BOOST_TEST((pos == bytes({3, 0, 0, 0, 0, 0, 0, 0, 0, 2, 7, 0, 0, 0, 0, 0, 0, 0})));
}

BOOST_AUTO_TEST_CASE(every_nan_folds_to_one) {
    const double nans[] = {std::numeric_limits<double>::quiet_NaN(),
                           -std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::signaling_NaN(), std::nan("1"), std::nan("0x7ffff")};
    const auto first = encode({key_value::of_double(nans[0]), key_value::null_value()});
    for (double d : nans) BOOST_TEST((encode({key_value::of_double(d), key_value::null_value()}) == first));
    BOOST_TEST((first != encode({key_value::of_double(std::numeric_limits<double>::infinity()),
                                 key_value::null_value()})));
}

BOOST_AUTO_TEST_CASE(too_small_buffer_fails) {
    const std::array<key_value, 2> v{key_value::of_string("abc"), key_value::of_int(5)};
    const std::size_t need = canonical_key_size(v);
    BOOST_TEST(need == 5u + 3 + 9);
    std::vector<std::byte> out(need - 1, std::byte{0x5a});
    BOOST_TEST(encode_canonical_key(v, out) == key_encode_failed);
    out.resize(need);
    BOOST_TEST(encode_canonical_key(v, out) == need);
    const std::array<key_value, 1> single{key_value::of_string("abcdef")};
    std::array<std::byte, 5> small{};
    BOOST_TEST(encode_canonical_key(single, small) == key_encode_failed);
    BOOST_TEST(encode_canonical_key({}, std::span<std::byte>{}) == 0u); // no values, no bytes
}
