// The runtime in-process: a router with two dataplane cores on loopback UDP
// sources and null sinks, reprogrammed while it runs. What is checked is
// which plan each core routes with (snapshot::core_epochs), above all when
// one core cannot build a new plan: then no core may take it.

#include <boost/test/unit_test.hpp>

#include <algorithm>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "control/config/config_loader.hpp"
#include "control/plan/planner.hpp"
#include "control/runtime/runtime.hpp"
#include "shardgate/burst.hpp"

using namespace shardgate;
using namespace shardgate::control;

namespace {

constexpr std::uint32_t partitions = 4;

/// Two cores, each with one loopback source of `source_kind`, and `sinks`
/// (a [sinks] table's keys).
config two_core_config(const std::string& source_kind = "udp", const std::string& sinks = "uri = \"null\"",
                       const std::string& router_extra = "") {
    return load_config_string(R"(
[router]
partitions = 4
dataplane_cpus = [-1, -1]
egress_cpus = [-1]
query = "SELECT COUNT(*) FROM trades"
fan_in_target = 1
stats_interval_ms = 0
)" + router_extra + R"(
# Only the fields the test's queries group by.
[format]
kind = "fixed"
record_size = 40
fields = [{ name = "symbol", type = "str", offset = 12, size = 12 }, { name = "trader_id", type = "u64", offset = 24 }]

[[sources]]
kind = ")" + source_kind + R"("
bind = "127.0.0.1:0"
core = 0

[[sources]]
kind = ")" + source_kind + R"("
bind = "127.0.0.1:0"
core = 1

[sinks]
)" + sinks + "\n",
                              "runtime_test.toml");
}

plan plan_for(const std::string& sql) {
    planner_inputs in;
    in.partitions = partitions;
    in.fan_in_target = partition_id{1};
    return plan_query(sql, in);
}

const std::string group_by = "SELECT symbol, COUNT(*) FROM trades GROUP BY symbol";
const std::string group_by_trader = "SELECT trader_id, COUNT(*) FROM trades GROUP BY trader_id";

std::vector<std::uint64_t> epochs(const runtime& rt) { return rt.take_snapshot().core_epochs; }

/// Why reprogram() refuses `p` ("" and a failed check if it takes it).
std::string refusal(runtime& rt, const plan& p,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    try {
        rt.reprogram(p, timeout);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    BOOST_ERROR("reprogram took a plan it should have refused");
    return {};
}

/// A loopback TCP listener that accepts one connection and reads from it
/// only when told to: a destination that stops taking data.
class stalled_destination {
public:
    stalled_destination() {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        BOOST_REQUIRE(listener_ >= 0);
        const int small = 4096; // inherited by the accepted socket: fills quickly
        ::setsockopt(listener_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        BOOST_REQUIRE(::listen(listener_, 1) == 0);
        socklen_t len = sizeof a;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        reader_ = std::thread([this] {
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) return;
            while (!reading_.load() && !closing_.load())
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            char buf[65536];
            while (!closing_.load() && ::recv(fd, buf, sizeof buf, 0) > 0) {
            }
            ::close(fd);
        });
    }
    ~stalled_destination() {
        closing_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        reader_.join();
        ::close(listener_);
    }
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    void start_reading() noexcept { reading_ = true; }

private:
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> reading_{false}, closing_{false};
    std::thread reader_;
};

/// Connects to `port` and writes 40-byte records until the connection has
/// taken nothing for `quiet`: everything behind it is full. Returns the
/// socket, left open (closing it would end the source's stream).
int write_until_full(std::uint16_t port, std::chrono::milliseconds quiet) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    std::vector<char> chunk(40 * 1024, 'x'); // whole records: 1024 of 40 bytes
    std::size_t pending = 0;                 // bytes of the current chunk still to write
    auto last = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - last < quiet) {
        if (pending == 0) pending = chunk.size();
        const ssize_t n = ::send(fd, chunk.data() + (chunk.size() - pending), pending, MSG_NOSIGNAL);
        if (n > 0) {
            pending -= static_cast<std::size_t>(n);
            last = std::chrono::steady_clock::now();
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    return fd;
}

struct running_router {
    config cfg;
    runtime rt{cfg, plan_for(cfg.router.query_text)};
    explicit running_router(std::function<void(std::size_t, std::uint64_t)> hook,
                            config c = two_core_config())
        : cfg(std::move(c)) {
        rt.set_prepare_hook(std::move(hook));
        rt.start();
    }
    ~running_router() {
        rt.request_stop();
        rt.join();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(runtime_reprogram)

BOOST_AUTO_TEST_CASE(check_measures_what_the_decoders_take) {
    // What `check` prints as the decoders' memory, measured on decoders
    // built as run builds them: each holds at least a burst's string
    // scratch and its key arena (1 KiB per record of a full burst each).
    const config cfg = two_core_config();
    const plan p = plan_for(group_by);
    const std::uint64_t fixed = runtime::decoder_memory_bytes(cfg, p);
    BOOST_TEST(fixed >= 2 * 2 * max_burst * 1024u);
    BOOST_TEST(fixed < 2 * 4 * max_burst * 1024u);
    // ndjson decoders also hold simdjson's parser, sized by the longest record.
    config json = cfg;
    json.format.kind = format_kind::ndjson;
    json.format.fields.clear();
    const std::uint64_t ndjson = runtime::decoder_memory_bytes(json, p);
    BOOST_TEST(ndjson > fixed + 2 * runtime::max_record_bytes(json));
}

BOOST_AUTO_TEST_CASE(every_core_takes_a_plan_every_core_could_build) {
    running_router r(nullptr);
    BOOST_TEST(epochs(r.rt) == std::vector<std::uint64_t>({0, 0}), boost::test_tools::per_element());
    const auto result = r.rt.reprogram(plan_for(group_by));
    BOOST_TEST(result.epoch == 1u);
    BOOST_TEST(result.cores_pending == 0u);
    BOOST_TEST(epochs(r.rt) == std::vector<std::uint64_t>({1, 1}), boost::test_tools::per_element());
    BOOST_TEST(to_string(r.rt.current_plan().routing.strategy) == "always_hash");
}

BOOST_AUTO_TEST_CASE(a_reprogrammed_plan_keeps_the_runtimes_own_warnings) {
    config c = two_core_config();
    c.dpdk.rx_on_egress = true; // with no DPDK source: the runtime warns about it
    running_router r(nullptr, std::move(c));
    const std::string own = "dpdk.rx_on_egress is set but no source is a DPDK port";
    const auto warned = [&] {
        const auto& ws = r.rt.current_plan().warnings;
        return std::count_if(ws.begin(), ws.end(), [&](const std::string& w) { return w.starts_with(own); });
    };
    BOOST_TEST(warned() == 1);
    BOOST_TEST(r.rt.reprogram(plan_for(group_by)).epoch == 1u);
    BOOST_TEST(warned() == 1); // the new plan carries it, once
    BOOST_TEST(r.rt.reprogram(plan_for(group_by_trader)).epoch == 2u);
    BOOST_TEST(warned() == 1);
}

BOOST_AUTO_TEST_CASE(a_plan_one_core_cannot_build_is_taken_by_no_core) {
    // Core 1 fails to build epoch 1, as it would on running out of memory;
    // core 0 builds it without trouble. Neither may route with it.
    running_router r([](std::size_t core, std::uint64_t epoch) {
        if (core == 1 && epoch == 1) throw std::runtime_error("injected: out of memory");
    });
    const std::string why = refusal(r.rt, plan_for(group_by));
    BOOST_TEST(why.find("dataplane core 1 could not build the new plan: injected: out of memory") !=
                   std::string::npos,
               why);
    BOOST_TEST(why.find("every core keeps the previous plan") != std::string::npos, why);
    // Give core 0 every chance to apply what it built, were it to.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    BOOST_TEST(epochs(r.rt) == std::vector<std::uint64_t>({0, 0}), boost::test_tools::per_element());
    BOOST_TEST(r.rt.current_plan().epoch == 0u);
    BOOST_TEST(to_string(r.rt.current_plan().routing.strategy) == "fan_in");

    // The next plan both can build: both take it.
    const auto result = r.rt.reprogram(plan_for(group_by_trader));
    BOOST_TEST(result.epoch == 2u);
    BOOST_TEST(result.cores_pending == 0u);
    BOOST_TEST(epochs(r.rt) == std::vector<std::uint64_t>({2, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_core_that_does_not_build_in_time_holds_every_core_back) {
    // Core 1 takes 300 ms to build epoch 1; reprogram waits 100. The plan is
    // refused, and core 1 must not take it when it finishes building either.
    std::atomic<bool> built_late{false};
    running_router r([&](std::size_t core, std::uint64_t epoch) {
        if (core == 1 && epoch == 1) {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            built_late = true;
        }
    });
    const std::string why = refusal(r.rt, plan_for(group_by), std::chrono::milliseconds(100));
    BOOST_TEST(why.find("dataplane core 1 did not build the new plan within 100 ms") != std::string::npos,
               why);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!built_late.load() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    BOOST_REQUIRE(built_late.load());
    // Core 1 builds epoch 1 right after the hook; give it time to (wrongly) apply it.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    BOOST_TEST(epochs(r.rt) == std::vector<std::uint64_t>({0, 0}), boost::test_tools::per_element());

    const auto result = r.rt.reprogram(plan_for(group_by_trader));
    BOOST_TEST(result.epoch == 2u);
    BOOST_TEST(epochs(r.rt) == std::vector<std::uint64_t>({2, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_plan_committed_to_a_held_core_survives_a_later_refused_one) {
    // Core 0's only partition (fan_in to 1) goes to a destination that stops
    // reading, so core 0 ends up holding a burst (TCP: nothing is dropped)
    // and cannot switch plans. Epoch 1 is committed: core 1 takes it at
    // once, core 0 once its burst is out. Epoch 2 is then refused (core 1
    // cannot build it) while core 0 still waits: core 0 must still take
    // epoch 1, or the cores would route by different plans for good.
    stalled_destination dest;
    const std::string d = "tcp://127.0.0.1:" + std::to_string(dest.port());
    running_router r(
        [](std::size_t core, std::uint64_t epoch) {
            if (core == 1 && epoch == 2) throw std::runtime_error("injected: out of memory");
        },
        two_core_config("tcp", "uris = [\"null\", \"" + d + "\", \"null\", \"null\"]",
                        "ring_blocks = 2\nstream_block_bytes = 4096\n"));
    const int fd = write_until_full(r.rt.source_port(0), std::chrono::milliseconds(500));

    const auto first = r.rt.reprogram(plan_for(group_by), std::chrono::milliseconds(200));
    BOOST_TEST(first.epoch == 1u);
    BOOST_REQUIRE_MESSAGE(first.cores_pending >= 1u && epochs(r.rt)[0] == 0,
                          "core 0 was not held: the test did not set up its case");
    // Core 1 is not held: it applies epoch 1 within a poll or two (a loaded
    // machine may make that longer than reprogram's wait).
    const auto applied = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (epochs(r.rt)[1] != 1 && std::chrono::steady_clock::now() < applied)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    BOOST_TEST(epochs(r.rt) == std::vector<std::uint64_t>({0, 1}), boost::test_tools::per_element());

    BOOST_TEST(refusal(r.rt, plan_for(group_by_trader), std::chrono::milliseconds(200))
                   .find("dataplane core 1 could not build the new plan") != std::string::npos);
    BOOST_TEST(epochs(r.rt) == std::vector<std::uint64_t>({0, 1}), boost::test_tools::per_element());

    dest.start_reading(); // core 0's burst goes out: it applies epoch 1
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (epochs(r.rt)[0] != 1 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    BOOST_TEST(epochs(r.rt) == std::vector<std::uint64_t>({1, 1}), boost::test_tools::per_element());
    ::close(fd);
}

BOOST_AUTO_TEST_SUITE_END()
