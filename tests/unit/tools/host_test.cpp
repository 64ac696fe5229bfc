// The host line the benchmarks print: describe_cpu over /proc/cpuinfo text.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>

#include "tools/common/host.hpp"

using namespace shardgate::tools;

namespace {

// Two processors as Linux lists them on x86 (trimmed to the fields read
// and a few around them), the second with other values that must not win.
const char* const first_of_two = "processor\t: 0\n"
                                 "vendor_id\t: GenuineIntel\n"
                                 "cpu family\t: 6\n"
                                 "model\t\t: 207\n"
                                 "model name\t: Intel(R) Xeon(R) Processor\n"
                                 "stepping\t: 2\n"
                                 "flags\t\t: fpu vme avx512f hypervisor lahf_lm\n"
                                 "\n"
                                 "processor\t: 1\n"
                                 "vendor_id\t: OtherVendor\n"
                                 "cpu family\t: 25\n"
                                 "model\t\t: 17\n"
                                 "model name\t: Another CPU\n"
                                 "flags\t\t: fpu\n"
                                 "\n";

} // namespace

BOOST_AUTO_TEST_CASE(describes_the_first_processor_and_counts_them_all) {
    BOOST_TEST(
        describe_cpu(first_of_two) ==
        "Intel(R) Xeon(R) Processor (GenuineIntel, family 6, model 207), 2 processors, under a hypervisor");
}

BOOST_AUTO_TEST_CASE(bare_metal_has_no_hypervisor_flag) {
    // "hypervisor" only as a whole flag: a flag that merely contains it is not it.
    const std::string one = "processor : 0\n"
                            "vendor_id : AuthenticAMD\n"
                            "cpu family : 25\n"
                            "model : 17\n"
                            "model name : AMD EPYC 9654 96-Core Processor\n"
                            "flags : fpu avx512f not_a_hypervisor hypervisorish\n";
    BOOST_TEST(describe_cpu(one) ==
               "AMD EPYC 9654 96-Core Processor (AuthenticAMD, family 25, model 17), 1 processor");
}

BOOST_AUTO_TEST_CASE(the_hypervisor_flag_anywhere_in_the_list) {
    BOOST_TEST(describe_cpu("processor : 0\nflags : hypervisor fpu\n") ==
               "unknown CPU, 1 processor, under a hypervisor");
    BOOST_TEST(describe_cpu("processor : 0\nflags : fpu hypervisor\n") ==
               "unknown CPU, 1 processor, under a hypervisor");
    BOOST_TEST(describe_cpu("processor : 0\nflags : hypervisor\n") ==
               "unknown CPU, 1 processor, under a hypervisor");
}

BOOST_AUTO_TEST_CASE(crlf_line_endings_and_empty_values) {
    BOOST_TEST(describe_cpu("processor : 0\r\nmodel name : Some CPU \r\nflags : fpu hypervisor\r\n") ==
               "Some CPU, 1 processor, under a hypervisor");
    BOOST_TEST(describe_cpu("processor : 0\nmodel name : \r\nvendor_id :\n") == "unknown CPU, 1 processor");
}

BOOST_AUTO_TEST_CASE(missing_fields_say_unknown) {
    // Other architectures list other fields; odd text is described, not rejected.
    BOOST_TEST(describe_cpu("") == "unknown CPU, 0 processors");
    BOOST_TEST(describe_cpu("processor : 0\nBogoMIPS : 50.00\nno colon here\n") ==
               "unknown CPU, 1 processor");
    BOOST_TEST(describe_cpu("processor : 0\nmodel : 1") ==
               "unknown CPU (unknown vendor, model 1), 1 processor");
}

BOOST_AUTO_TEST_CASE(this_host_is_described) {
    const std::string line = host_cpu();
    if (std::ifstream("/proc/cpuinfo")) {
        BOOST_TEST(line.find(" processor") != std::string::npos);
        BOOST_TEST(line.find("no /proc/cpuinfo") == std::string::npos);
    } else {
        BOOST_TEST(line == "unknown CPU (no /proc/cpuinfo)");
    }
}
