// The pcap round trip: shardgate-gen writes trade records as a pcap of
// Ethernet/IPv4/UDP frames (plus a few frames appended here that are not
// ours or are broken); a net_pcap port replays it into a DPDK source; the
// records are routed by symbol to four partitions whose DPDK sinks write one
// pcap each through net_pcap ports; shardgate-sink then verifies those files
// (no symbol in two partitions, per-(source, symbol) order, exact counts).
// The pipeline is driven in-process (worker + egress, one thread).

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tools/bench/trade_format.hpp"
#include "dataplane/pipeline/egress.hpp"
#include "dataplane/pipeline/worker.hpp"
#include "tests/dpdk/support.hpp"

using namespace shardgate;
using namespace shardgate::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t partitions = 4;
constexpr std::uint64_t generated = 30000; // records, malformed ones included


struct run_result {
    int status = -1;
    std::string output;
};

/// Runs argv, capturing stdout and stderr together.
run_result run(const std::vector<std::string>& argv, const fs::path& log) {
    std::string cmd;
    for (const auto& a : argv) cmd += "'" + a + "' ";
    cmd += "> '" + log.string() + "' 2>&1";
    run_result r;
    const int st = std::system(cmd.c_str());
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::ifstream in(log);
    r.output.assign(std::istreambuf_iterator<char>(in), {});
    return r;
}

std::uint64_t json_number(const std::string& json, const std::string& key) {
    std::smatch m;
    if (!std::regex_search(json, m, std::regex("\"" + key + "\":([0-9]+)")))
        BOOST_FAIL("no \"" << key << "\" in " << json);
    return std::stoull(m[1]);
}

/// Appends frames to a little-endian microsecond pcap file (what shardgate-gen writes).
void append_frames(const fs::path& pcap, const std::vector<std::vector<std::byte>>& frames) {
    std::ofstream out(pcap, std::ios::binary | std::ios::app);
    for (const auto& f : frames) {
        const std::uint32_t hdr[4] = {1, 0, static_cast<std::uint32_t>(f.size()),
                                      static_cast<std::uint32_t>(f.size())};
        out.write(reinterpret_cast<const char*>(hdr), sizeof hdr);
        out.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size()));
    }
    BOOST_REQUIRE(out.good());
}

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

} // namespace

BOOST_AUTO_TEST_SUITE(dpdk_pcap)

BOOST_AUTO_TEST_CASE(gen_pcap_through_shardgate_verifies_exactly, *boost::unit_test::disabled()) {
    const char* gen = std::getenv("SHARDGATE_GEN");
    const char* verify = std::getenv("SHARDGATE_SINK");
    if (gen == nullptr || verify == nullptr)
        skip("SHARDGATE_GEN and SHARDGATE_SINK must name shardgate-gen and shardgate-sink (meson test sets "
             "them)");
    require_drivers({"net_pcap"});
    claim_eal();

    char tmpl[] = "/tmp/shardgate-dpdk-pcap.XXXXXX";
    BOOST_REQUIRE(mkdtemp(tmpl) != nullptr);
    const fs::path dir = tmpl;
    struct cleanup {
        fs::path d;
        ~cleanup() {
            std::error_code ec;
            if (std::getenv("SHARDGATE_KEEP_TEST_FILES") == nullptr) fs::remove_all(d, ec);
        }
    } cleanup_dir{dir};

    // 1. Traffic: 30000 trade records, every 101st a truncated one; then an ARP
    //    frame and a TCP segment (not ours) and one with a bad IPv4 checksum.
    const fs::path in = dir / "in.pcap";
    const run_result g =
        run({gen, "--pcap", in.string(), "--records", std::to_string(generated), "--keys", "500", "--sources",
             "4", "--seed", "11", "--malformed-every", "101", "--malformed-reasons", "truncated"},
            dir / "gen.log");
    BOOST_REQUIRE_MESSAGE(g.status == 0, "shardgate-gen failed: " << g.output);
    const std::uint64_t valid = json_number(g.output, "valid");
    const std::uint64_t truncated = json_number(g.output, "truncated");
    const std::uint64_t datagrams = json_number(g.output, "datagrams");
    BOOST_REQUIRE_EQUAL(valid + truncated, generated);
    std::vector<std::byte> arp;
    put_be(arp, 0xffffffffffff, 6);
    put_be(arp, 0x020000000001, 6);
    put_be(arp, 0x0806, 2);
    arp.resize(60);
    const auto rec = bytes_of(std::string(40, 'x'));
    append_frames(in,
                  {arp, ipv4_udp_frame(rec, {.protocol = 6}), ipv4_udp_frame(rec, {.break_checksum = true})});

    // 2. Ports: the replay, then one net_pcap writer per partition.
    dpdk_config c;
    c.eal_args = no_huge_args();
    c.ports.resize(1 + partitions);
    c.ports[0].device = "net_pcap0,rx_pcap=" + in.string();
    std::vector<std::string> outs;
    for (std::uint32_t p = 0; p < partitions; ++p) {
        outs.push_back((dir / ("out-" + std::to_string(p) + ".pcap")).string());
        auto& port = c.ports[1 + p];
        port.device = "net_pcap" + std::to_string(1 + p) + ",tx_pcap=" + outs.back();
        port.ip = "10.0.0.1";
        port.mac = "02:00:00:00:00:10";
        port.udp_port = 5000;
    }
    std::uint64_t records_in = 0, records_out = 0, not_ours = 0, malformed = 0, truncated_seen = 0, drop = 0;
    std::vector<std::uint64_t> per_partition(partitions);
    {
        auto env = dpdk_environment::start(c, 1);
        env->register_thread();
        source_config sc;
        sc.name = "replay";
        sc.kind = source_kind::dpdk;
        record_decoder decoder(bench::trade_format(), std::vector<key_expr>{column_key("symbol")}, c.payload_bytes);
        std::vector<worker_input> inputs;
        inputs.push_back({env->make_source(sc), &decoder});
        // net_pcap copies each frame into its mbuf as it receives it: no prefetching.
        BOOST_TEST(inputs.back().src->received_in_cache());
        std::vector<std::unique_ptr<lane>> lanes;
        std::vector<lane*> raw;
        for (std::uint32_t p = 0; p < partitions; ++p) {
            lanes.push_back(std::make_unique<lane>(256, c.payload_bytes));
            raw.push_back(lanes.back().get());
        }
        routing_params params;
        params.strategy = strategy_kind::always_hash;
        params.partitions = partitions;
        params.keys = {column_key("symbol")};
        params.seed = 3;
        counter_block core_counters, egress_counters;
        worker wk(worker_options{}, params, std::move(inputs), raw, nullptr, core_counters);
        std::vector<egress_partition> parts;
        for (std::uint32_t p = 0; p < partitions; ++p) {
            sink_config s;
            s.kind = sink_kind::dpdk;
            s.dpdk_port = static_cast<std::uint16_t>(1 + p);
            s.dpdk_mac = "02:00:00:00:01:0" + std::to_string(p);
            s.destination = {"10.0.1." + std::to_string(p), 9000};
            egress_partition ep;
            ep.lanes = {raw[p]};
            ep.out = env->make_sink(s, p, 0);
            parts.push_back(std::move(ep));
        }
        egress eg(std::move(parts), egress_counters);

        // 3. Run until the replay is exhausted: a pcap rx queue reads its file
        //    synchronously and returns nothing at the end, so "many empty polls
        //    in a row" is the end of the file, not a timing guess.
        int empty = 0;
        while (empty < 1000) {
            const std::size_t n = wk.poll(now_ns());
            eg.poll();
            empty = n == 0 && core_counters.get(counter::datagrams_in) > 0 ? empty + 1 : 0;
        }
        wk.stop_sources();
        while (!wk.drained()) {
            wk.poll(now_ns());
            eg.poll();
        }
        wk.flush_all();
        while (!eg.idle()) eg.poll();
        eg.close();
        records_in = core_counters.get(counter::records_in);
        records_out = egress_counters.get(counter::records_out);
        not_ours = core_counters.get(counter::not_ipv4_udp);
        malformed = core_counters.get(counter::malformed_frame);
        truncated_seen = core_counters.get(counter::malformed_truncated);
        drop = core_counters.get(counter::drop_ring_full) + egress_counters.get(counter::drop_tx) +
               egress_counters.get(counter::drop_sink);
        for (std::uint32_t p = 0; p < partitions; ++p) per_partition[p] = eg.sink_at(p).records_sent();
        BOOST_TEST(core_counters.get(counter::datagrams_in) == datagrams + 3);
        BOOST_TEST_MESSAGE(env->stats_text());
    } // sinks, source, then the environment: closing the ports flushes the pcap files

    BOOST_TEST(records_in == generated);
    BOOST_TEST(truncated_seen == truncated);
    BOOST_TEST(records_out == valid);
    BOOST_TEST(not_ours == 2u);
    BOOST_TEST(malformed == 1u);
    BOOST_TEST(drop == 0u);

    // 4. The verifying sink reads the four captures as partitions 0..3.
    std::string files;
    for (const auto& o : outs) files += (files.empty() ? "" : ",") + o;
    const run_result v = run({verify, "--pcap", files, "--key", "symbol", "--expect", std::to_string(valid)},
                             dir / "sink.log");
    BOOST_TEST_MESSAGE("shardgate-sink: " << v.output);
    BOOST_TEST(v.status == 0, "shardgate-sink exit " << v.status << ": " << v.output);
    BOOST_TEST(v.output.find("\"verdict\":\"pass\"") != std::string::npos);
    BOOST_TEST(json_number(v.output, "valid") == valid);
    BOOST_TEST(json_number(v.output, "split_keys") == 0u);
    for (std::uint32_t p = 0; p < partitions; ++p) BOOST_TEST(per_partition[p] > 0u);
    std::smatch m;
    std::string want;
    for (auto n : per_partition) want += (want.empty() ? "" : ",") + std::to_string(n);
    BOOST_TEST(v.output.find("\"per_partition\":[" + want + "]") != std::string::npos,
               "per-partition counts from the captures differ from the sinks' (" << want << ")");
}

BOOST_AUTO_TEST_SUITE_END()
