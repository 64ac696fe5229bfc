// EAL and port set-up failures must name the problem and its remedy. Each
// case starts (and fails to start) the EAL, so meson runs each in its own
// process.

#include <boost/test/unit_test.hpp>

#include "tests/dpdk/support.hpp"

using namespace shardgate;
using namespace shardgate::test;

namespace {

std::string start_error(const std::vector<std::string>& eal_args, const std::string& device) {
    claim_eal();
    dpdk_config c;
    c.eal_args = eal_args;
    c.ports.push_back({});
    c.ports[0].device = device;
    try {
        auto env = dpdk_environment::start(c, 1);
        return "started";
    } catch (const std::runtime_error& e) {
        return e.what();
    }
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

} // namespace

BOOST_AUTO_TEST_SUITE(dpdk_errors)

BOOST_AUTO_TEST_CASE(no_hugepages_names_the_remedy, *boost::unit_test::disabled()) {
    if (free_hugepages() > 0)
        skip("this machine has free hugepages, so the EAL starts without \"--no-huge\" and the error cannot "
             "occur");
    const std::string e = start_error({"--no-pci"}, "net_null0");
    BOOST_TEST_MESSAGE(e);
    BOOST_TEST(contains(e, "DPDK EAL initialisation failed"), e);
    BOOST_TEST(contains(e, "no hugepages are reserved (HugePages_Free is 0 in /proc/meminfo)"), e);
    BOOST_TEST(contains(e, "Add \"--no-huge\", \"-m\", \"256\" to dpdk.eal_args"), e);
}

BOOST_AUTO_TEST_CASE(unknown_vdev_driver, *boost::unit_test::disabled()) {
    const std::string e = start_error(no_huge_args(), "net_nosuch0,foo=1");
    BOOST_TEST_MESSAGE(e);
    BOOST_TEST(contains(e, "dpdk.ports[0]: device \"net_nosuch0,foo=1\" did not probe: "), e);
    BOOST_TEST(contains(e, "no installed DPDK net driver matches \"net_nosuch0\""), e);
    BOOST_TEST(contains(e, "net_pcap"), e); // the list of what is installed
}

BOOST_AUTO_TEST_CASE(vdev_that_rejects_its_arguments, *boost::unit_test::disabled()) {
    require_drivers({"net_pcap"});
    const std::string e = start_error(no_huge_args(), "net_pcap0,rx_pcap=/nonexistent/in.pcap");
    BOOST_TEST_MESSAGE(e);
    BOOST_TEST(
        contains(e, "dpdk.ports[0]: device \"net_pcap0,rx_pcap=/nonexistent/in.pcap\" did not probe: "), e);
    BOOST_TEST(contains(e, "check the net_pcap arguments"), e);
}

BOOST_AUTO_TEST_CASE(pci_device_with_no_pci, *boost::unit_test::disabled()) {
    const std::string e = start_error(no_huge_args(), "0000:03:00.0");
    BOOST_TEST_MESSAGE(e);
    BOOST_TEST(contains(e, "dpdk.ports[0]: device \"0000:03:00.0\" did not probe: "), e);
    BOOST_TEST(contains(e, "dpdk.eal_args contain \"--no-pci\""), e);
}

BOOST_AUTO_TEST_SUITE_END()
