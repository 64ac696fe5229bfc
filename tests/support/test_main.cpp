// The Boost.Test entry point shared by every suite (linked library variant:
// meson adds BOOST_TEST_DYN_LINK).
#define BOOST_TEST_MODULE shardgate
#include <boost/test/unit_test.hpp>
