// Every configuration key, declared once: path, type, default, bounds,
// description and how it is stored. The walker below checks a document
// against this table; config_keys() and docs/configuration.md are generated
// from it.
#include "control/config/schema.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "control/config/config_loader.hpp"
#include "shardgate/burst.hpp"

namespace shardgate::control::config_detail {
namespace {

using vk = value_kind;

constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();

template <typename T>
T as(const toml_value& v) noexcept {
    return static_cast<T>(v.integer); // range already checked by the walker
}

std::vector<int> cpu_list(const toml_value& v) {
    std::vector<int> out;
    for (const auto& e : v.items) out.push_back(as<int>(e));
    return out;
}

std::vector<std::string> string_list(const toml_value& v) {
    std::vector<std::string> out;
    for (const auto& e : v.items) out.push_back(e.text);
    return out;
}

hash_function hash_of(const toml_value& v) noexcept {
    return v.text == "xxh3" ? hash_function::xxh3 : hash_function::kafka_murmur2;
}

/// An integer, or "0x" and 1 to 16 hex digits (checked by the walker).
std::uint64_t seed_of(const toml_value& v) noexcept {
    if (v.type == toml_value::kind::integer) return static_cast<std::uint64_t>(v.integer);
    std::uint64_t s = 0;
    for (char ch : std::string_view(v.text).substr(2)) {
        const int d = ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
        s = s << 4 | static_cast<std::uint64_t>(d);
    }
    return s;
}

field_type field_type_of(std::string_view t) noexcept {
    if (t == "u8") return field_type::u8;
    if (t == "u16") return field_type::u16;
    if (t == "u32") return field_type::u32;
    if (t == "u64") return field_type::u64;
    if (t == "i32") return field_type::i32;
    if (t == "i64") return field_type::i64;
    if (t == "int") return field_type::int64;
    return field_type::str;
}

source_config& source(load_context& c) { return c.cfg.sources.back(); }
field_spec& field(load_context& c) { return c.cfg.format.fields.back(); }
dpdk_port_config& port(load_context& c) { return c.cfg.dpdk.ports.back(); }

// clang-format off
const key_spec keys[] = {
// ---------------------------------------------------------------- [router]
{.path = "router", .kind = vk::table, .default_value = "(optional)",
 .description = "The router: partitions, cores, rings, hashing, strategy and the query."},
{.path = "router.partitions", .kind = vk::integer, .default_value = "8", .min = 1, .max = max_partitions,
 .description = "N, the number of output partitions (downstream workers); sinks.uri is expanded once per "
                 "partition.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.partitions = as<std::uint32_t>(v); }},
{.path = "router.dataplane_cpus", .kind = vk::integer_list, .default_value = "[0]", .min = -1, .max = 1023,
 .min_items = 1, .max_items = 64, .notes = "each < the machine's CPU count or -1; no CPU twice",
 .description = "One dataplane thread per entry, pinned to that CPU id (-1 = not pinned). Sources are "
                 "spread over them (sources[].core).",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.dataplane_cpus = cpu_list(v); }},
{.path = "router.egress_cpus", .kind = vk::integer_list, .default_value = "[0]", .min = -1, .max = 1023,
 .min_items = 1, .max_items = 64, .notes = "each < the machine's CPU count or -1; no CPU twice",
 .description = "One egress thread per entry, pinned to that CPU id (-1 = not pinned); partitions are "
                 "spread over them.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.egress_cpus = cpu_list(v); }},
{.path = "router.burst_size", .kind = vk::integer, .default_value = "256", .min = 1, .max = static_cast<std::int64_t>(max_burst),
 .description = "Records decoded, hashed and routed per burst: larger bursts spread each stage's fixed cost over more records (the DPDK benchmark routes about 7 % more records per second at 128 than at 32, and 2 % more at 256 than at 128) and hold a burst for a few microseconds at most (a burst also ends when a poll's data does).",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.burst_size = as<std::uint32_t>(v); }},
{.path = "router.ring_blocks", .kind = vk::integer, .default_value = "64", .min = 1, .max = 65536,
 .description = "Blocks in each (dataplane core, partition) lane; a full lane is backpressure.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.ring_blocks = as<std::uint32_t>(v); }},
{.path = "router.stream_block_bytes", .kind = vk::integer, .default_value = "65536", .min = 64, .max = 16777216,
 .notes = "fixed format: >= format.record_size",
 .description = "Block size for tcp, file and null sinks (udp sinks use sinks.datagram_bytes).",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.stream_block_bytes = as<std::uint32_t>(v); }},
{.path = "router.drain_deadline_us", .kind = vk::integer, .default_value = "100", .min = 1, .max = 1000000,
 .description = "A partly filled block leaves for its sink after at most this many microseconds.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.drain_deadline_us = as<std::uint32_t>(v); }},
{.path = "router.idle_spins", .kind = vk::integer, .default_value = "256", .min = 0, .max = 1000000,
 .description = "Empty polls before a core sleeps for router.idle_sleep_us.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.idle_spins = as<std::uint32_t>(v); }},
{.path = "router.idle_sleep_us", .kind = vk::integer, .default_value = "50", .min = 0, .max = 100000,
 .description = "Sleep after router.idle_spins empty polls, in microseconds (0 = busy poll only).",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.idle_sleep_us = as<std::uint32_t>(v); }},
{.path = "router.hash", .kind = vk::string, .default_value = "\"xxh3\"", .choices = "xxh3|kafka_murmur2",
 .description = "Partition function: XXH3-64 into the key-group table, or Kafka's default partitioner "
                 "(murmur2 % N).",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.hash = hash_of(v); }},
{.path = "router.seed", .kind = vk::seed, .default_value = "0", .min = 0, .max = i64_max,
 .description = "XXH3 seed. Values above 2^63-1 are written as a hex string (\"0xfedcba9876543210\").",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.seed = seed_of(v); }},
{.path = "router.key_groups", .kind = vk::integer, .default_value = "4096", .min = 1, .max = 16777216,
 .rule = int_rule::power_of_two, .notes = ">= router.partitions",
 .description = "Size of the xxh3 key-group table mapped onto partitions in contiguous ranges.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.key_groups = as<std::uint32_t>(v); }},
{.path = "router.partitioning_strategy", .kind = vk::string, .default_value = "\"auto\"",
 .choices_text = &valid_strategy_names, .notes = "case-insensitive",
 .description = "Strategy when the query does not choose one (annotation or WITH property); auto = chosen "
                 "by query analysis.",
 .store = [](load_context& c, const toml_value& v) {
     const auto k = find_strategy(v.text);
     if (!k) c.fail(v.pos, c.current_key, "expected one of " + valid_strategy_names() + ", found " + quote(v.text));
     c.cfg.router.strategy = *k;
 }},
{.path = "router.fan_in_target", .kind = vk::integer, .default_value = "0", .min = 0, .max = max_partitions - 1,
 .notes = "< router.partitions",
 .description = "The partition fan_in sends every record to.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.fan_in_target = partition_id{as<std::uint32_t>(v)}; }},
{.path = "router.per_source_order", .kind = vk::boolean, .default_value = "false",
 .description = "Stateless queries: keep each source partition on one partition (sticky_partition) "
                 "instead of round_robin.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.per_source_order = v.boolean; }},
{.path = "router.smart_sample_every", .kind = vk::integer, .default_value = "64", .min = 1, .max = 1000000,
 .description = "smart_repartition verifies one record in this many by hashing it.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.smart_sample_every = as<std::uint32_t>(v); }},
{.path = "router.backpressure", .kind = vk::string, .default_value = "\"block\"", .choices = "block|drop",
 .description = "Full lane: block = TCP sources stop reading (UDP and DPDK drop and count); drop = every "
                 "source drops and counts.",
 .store = [](load_context& c, const toml_value& v) {
     c.cfg.router.backpressure = v.text == "block" ? backpressure_policy::block : backpressure_policy::drop;
 }},
{.path = "router.stats_interval_ms", .kind = vk::integer, .default_value = "1000", .min = 100, .max = 60000,
 .rule = int_rule::zero_or_range,
 .description = "Period of the live statistics line, in milliseconds (0 = none).",
 .store = [](load_context& c, const toml_value& v) { c.cfg.router.stats_interval_ms = as<std::uint32_t>(v); }},
{.path = "router.query_file", .kind = vk::string, .default_value = "(none)", .min_items = 1,
 .notes = "not with router.query",
 .description = "File holding the SQL query, relative to this file's directory; read into the config. "
                 "Without query_file and query, the command line gives the query.",
 .store = [](load_context& c, const toml_value& v) { c.query_file = {v.text, v.pos}; }},
{.path = "router.query", .kind = vk::string, .default_value = "(none)", .min_items = 1,
 .notes = "not with router.query_file",
 .description = "The SQL query, inline.",
 .store = [](load_context& c, const toml_value& v) {
     c.cfg.router.query_text = v.text;
     c.cfg.router.query_origin = "inline";
 }},
// ---------------------------------------------------------------- [format]
{.path = "format", .kind = vk::table, .default_value = "(required)",
 .description = "The record format (docs/record-formats.md)."},
{.path = "format.kind", .kind = vk::string, .default_value = "\"fixed\"", .choices = "fixed|csv|ndjson",
 .description = "fixed: records of one size, fields at byte offsets; csv: one record per line, named "
                 "columns; ndjson: one JSON object per line.",
 .store = [](load_context& c, const toml_value& v) {
     c.cfg.format.kind = v.text == "fixed" ? format_kind::fixed : v.text == "csv" ? format_kind::csv : format_kind::ndjson;
 }},
{.path = "format.record_size", .kind = vk::integer, .default_value = "(required for fixed)", .min = 1, .max = 65535,
 .notes = "fixed only",
 .description = "Bytes per record.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.format.record_size = as<std::uint32_t>(v); }},
{.path = "format.max_record_bytes", .kind = vk::integer, .default_value = "65536", .min = 16, .max = 16777216,
 .notes = "fixed: >= format.record_size",
 .description = "Longer records are malformed (oversized) and go to the dead-letter sink.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.format.max_record_bytes = as<std::uint32_t>(v); }},
{.path = "format.source_partition_field", .kind = vk::string, .default_value = "\"\"",
 .notes = "fixed, csv: a declared integer field",
 .description = "Field carrying each record's source partition; empty = sources[].partition.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.format.source_partition_field = v.text; }},
{.path = "format.sequence_field", .kind = vk::string, .default_value = "\"\"",
 .notes = "fixed, csv: a declared integer field",
 .description = "Field carrying a sequence number; checked at start, not read per record (nothing on the data path uses it yet); empty = none.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.format.sequence_field = v.text; }},
{.path = "format.event_time_field", .kind = vk::string, .default_value = "\"\"",
 .notes = "fixed, csv: a declared integer field",
 .description = "Field carrying the event time; checked at start, not read per record (nothing on the data path uses it yet); empty = none.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.format.event_time_field = v.text; }},
{.path = "format.fields", .kind = vk::table_list, .default_value = "[]", .min_items = 0, .max_items = 4096,
 .notes = "unique names; fixed: inside record_size, no overlap",
 .description = "fixed: the layout; csv: the columns in order; ndjson: optional (members are typed by "
                 "their JSON value).",
 .store = [](load_context& c, const toml_value&) { c.cfg.format.fields.emplace_back(); }},
{.path = "format.fields[].name", .kind = vk::string, .default_value = "(required)", .min_items = 1,
 .description = "The field's name, as the query writes it.",
 .store = [](load_context& c, const toml_value& v) { field(c).name = v.text; }},
{.path = "format.fields[].type", .kind = vk::string, .default_value = "(required for fixed; csv: \"str\")",
 .choices = "u8|u16|u32|u64|i32|i64|str|int", .notes = "fixed: u8..i64 or str; csv: int or str; ndjson: not allowed",
 .description = "Little-endian integer of that width, str (fixed bytes, trailing NULs dropped), or int "
                 "(csv).",
 .store = [](load_context& c, const toml_value& v) { field(c).type = field_type_of(v.text); }},
{.path = "format.fields[].offset", .kind = vk::integer, .default_value = "(required for fixed)", .min = 0, .max = 65534,
 .notes = "fixed only; offset + width <= format.record_size",
 .description = "Byte offset of the field in the record.",
 .store = [](load_context& c, const toml_value& v) { field(c).offset = as<std::uint32_t>(v); }},
{.path = "format.fields[].size", .kind = vk::integer, .default_value = "(required for str)", .min = 1, .max = 65535,
 .notes = "fixed str fields only",
 .description = "Bytes of a str field.",
 .store = [](load_context& c, const toml_value& v) { field(c).size = as<std::uint32_t>(v); }},
// ---------------------------------------------------------------- [[sources]]
{.path = "sources", .kind = vk::table_list, .default_value = "(required)", .min_items = 1, .max_items = 4096,
 .notes = "names unique; udp/tcp binds unique",
 .description = "Where records come from; each source is owned by one dataplane core.",
 .store = [](load_context& c, const toml_value&) { c.cfg.sources.emplace_back(); }},
{.path = "sources[].name", .kind = vk::string, .default_value = "(\"sources[i]\")", .min_items = 1,
 .description = "Name in logs and statistics.",
 .store = [](load_context& c, const toml_value& v) { source(c).name = v.text; }},
{.path = "sources[].kind", .kind = vk::string, .default_value = "\"udp\"", .choices = "udp|tcp|dpdk",
 .description = "udp and tcp: io_uring sockets; dpdk: a receive queue of a [[dpdk.ports]] port.",
 .store = [](load_context& c, const toml_value& v) {
     source(c).kind = v.text == "udp" ? source_kind::udp : v.text == "tcp" ? source_kind::tcp : source_kind::dpdk;
 }},
{.path = "sources[].bind", .kind = vk::string, .default_value = "(required for udp, tcp)", .min_items = 1,
 .notes = "udp, tcp only; host:port, [v6]:port or name:port",
 .description = "Address to listen on (port 0 = any free port).",
 .store = [](load_context& c, const toml_value& v) {
     const std::string why = parse_endpoint(v.text, true, source(c).bind);
     if (!why.empty()) c.fail(v.pos, c.current_key, why);
 }},
{.path = "sources[].core", .kind = vk::integer, .default_value = "(i % dataplane core count)", .min = 0, .max = 63,
 .notes = "< number of router.dataplane_cpus",
 .description = "Index into router.dataplane_cpus of the core that polls this source.",
 .store = [](load_context& c, const toml_value& v) { source(c).core = as<std::uint32_t>(v); }},
{.path = "sources[].partition", .kind = vk::integer, .default_value = "(none)", .min = 0, .max = 4294967294,
 .description = "Source partition of this source's records, unless format.source_partition_field carries "
                 "one.",
 .store = [](load_context& c, const toml_value& v) { source(c).partition = as<std::uint32_t>(v); }},
{.path = "sources[].stream", .kind = vk::string, .default_value = "\"\"",
 .description = "The query's FROM source this source feeds (joins); empty = the query's first source.",
 .store = [](load_context& c, const toml_value& v) { source(c).stream = v.text; }},
{.path = "sources[].buffers", .kind = vk::integer, .default_value = "256", .min = 1, .max = 32768,
 .rule = int_rule::power_of_two,
 .description = "Receive buffers (io_uring provided-buffer ring entries).",
 .store = [](load_context& c, const toml_value& v) { source(c).buffers = as<std::uint32_t>(v); }},
{.path = "sources[].buffer_bytes", .kind = vk::integer, .default_value = "65536", .min = 64, .max = 16777216,
 .notes = "udp: >= the largest datagram; fixed format: >= format.record_size",
 .description = "Bytes per receive buffer.",
 .store = [](load_context& c, const toml_value& v) { source(c).buffer_bytes = as<std::uint32_t>(v); }},
{.path = "sources[].dpdk_port", .kind = vk::integer, .default_value = "0", .min = 0, .max = 63,
 .notes = "dpdk only; < number of [[dpdk.ports]]",
 .description = "Index into [[dpdk.ports]] of the port this source polls.",
 .store = [](load_context& c, const toml_value& v) { source(c).dpdk_port = as<std::uint16_t>(v); }},
{.path = "sources[].dpdk_queue", .kind = vk::integer, .default_value = "0", .min = 0, .max = 63,
 .notes = "dpdk only; < that port's rx_queues; one source per (port, queue)",
 .description = "Receive queue of that port.",
 .store = [](load_context& c, const toml_value& v) { source(c).dpdk_queue = as<std::uint16_t>(v); }},
{.path = "sources[].udp_port", .kind = vk::integer, .default_value = "0", .min = 0, .max = 65535,
 .notes = "dpdk only",
 .description = "Accept only UDP datagrams to this destination port (0 = any).",
 .store = [](load_context& c, const toml_value& v) { source(c).udp_port = as<std::uint16_t>(v); }},
// ---------------------------------------------------------------- [sinks]
{.path = "sinks", .kind = vk::table, .default_value = "(required)",
 .description = "Where each partition's records go, and malformed records."},
{.path = "sinks.uri", .kind = vk::string, .default_value = "(none)", .min_items = 1,
 .notes = "exactly one of sinks.uri, sinks.uris; {p} and {B+p} (B an integer) expand to p and B+p",
 .description = "URI template expanded for each partition p in [0, N): udp://host:port, tcp://host:port, "
                 "file:///abs/path, file://relative/path, null, dpdk://PORT/MAC/IP:UDPPORT.",
 .store = [](load_context& c, const toml_value& v) { c.sink_template = {v.text, v.pos}; }},
{.path = "sinks.uris", .kind = vk::string_list, .default_value = "(none)", .min_items = 1, .max_items = max_partitions,
 .notes = "exactly router.partitions entries; exactly one of sinks.uri, sinks.uris",
 .description = "One URI per partition, in partition order.",
 .store = [](load_context& c, const toml_value& v) {
     for (const auto& e : v.items) c.sink_uris.push_back({e.text, e.pos});
 }},
{.path = "sinks.datagram_bytes", .kind = vk::integer, .default_value = "1472", .min = 64, .max = 65507,
 .notes = "fixed format: >= format.record_size",
 .description = "udp sinks: payload bytes per datagram; datagrams carry whole records.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.datagram_bytes = as<std::uint32_t>(v); }},
{.path = "sinks.dead_letter", .kind = vk::string, .default_value = "(none)", .min_items = 1,
 .notes = "a sink URI without placeholders",
 .description = "Sink for malformed records (any URI kind); none = they are counted and dropped.",
 .store = [](load_context& c, const toml_value& v) { c.dead_letter = {v.text, v.pos}; }},
// ---------------------------------------------------------------- [source_partitioning]
{.path = "source_partitioning", .kind = vk::table, .default_value = "(optional)",
 .description = "How the sources were partitioned upstream, for smart_repartition's fast path."},
{.path = "source_partitioning.key_columns", .kind = vk::string_list, .default_value = "(required)",
 .min_items = 1, .max_items = 16, .notes = "fixed, csv: declared fields",
 .description = "The columns the upstream partitioner hashed, in order.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.declared_source.key_columns = string_list(v); }},
{.path = "source_partitioning.partitioner", .kind = vk::string, .default_value = "\"kafka_murmur2\"",
 .choices = "xxh3|kafka_murmur2",
 .description = "The upstream partition function.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.declared_source.partitioner = hash_of(v); }},
{.path = "source_partitioning.partitions", .kind = vk::integer, .default_value = "(required)", .min = 1, .max = 65536,
 .description = "P, the upstream partition count.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.declared_source.partitions = as<std::uint32_t>(v); }},
{.path = "source_partitioning.seed", .kind = vk::seed, .default_value = "0", .min = 0, .max = i64_max,
 .notes = "xxh3 partitioner only",
 .description = "The upstream XXH3 seed (hex string for values above 2^63-1).",
 .store = [](load_context& c, const toml_value& v) { c.cfg.declared_source.seed = seed_of(v); }},
{.path = "source_partitioning.key_groups", .kind = vk::integer, .default_value = "0", .min = 1, .max = 16777216,
 .rule = int_rule::zero_or_power_of_two, .notes = "xxh3 partitioner only; 0 or >= source_partitioning.partitions",
 .description = "The upstream key-group table size; 0 = router.key_groups.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.declared_source.key_groups = as<std::uint32_t>(v); }},
// ---------------------------------------------------------------- [dpdk]
{.path = "dpdk", .kind = vk::table, .default_value = "(optional)",
 .description = "DPDK environment and ports; needed by dpdk sources and dpdk:// sinks."},
{.path = "dpdk.eal_args", .kind = vk::string_list, .default_value = "[]", .min_items = 0, .max_items = 256,
 .description = "Extra EAL arguments (\"--no-huge\", \"--no-pci\", \"-m\", \"256\", \"--vdev=...\").",
 .store = [](load_context& c, const toml_value& v) { c.cfg.dpdk.eal_args = string_list(v); }},
{.path = "dpdk.mempool_mbufs", .kind = vk::integer, .default_value = "8191", .min = 1023, .max = 16777215,
 .description = "Mbufs in the packet pool of each NUMA socket with ports (2^k - 1 is optimal for "
                "DPDK's ring); must exceed what descriptors, sources, tx buffers and per-thread caches "
                "hold; what it has beyond that (less one) is where DPDK sinks' lane blocks live for "
                "zero-copy transmit, one mbuf per block (docs/dpdk.md).",
 .store = [](load_context& c, const toml_value& v) { c.cfg.dpdk.mempool_mbufs = as<std::uint32_t>(v); }},
{.path = "dpdk.mbuf_cache", .kind = vk::integer, .default_value = "256", .min = 0, .max = 512,
 .description = "Per-core mbuf cache size.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.dpdk.mbuf_cache = as<std::uint32_t>(v); }},
{.path = "dpdk.payload_bytes", .kind = vk::integer, .default_value = "1472", .min = 64, .max = 9000,
 .notes = "fixed format with dpdk sinks: >= format.record_size",
 .description = "UDP payload bytes per frame dpdk sinks build; frames carry whole records.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.dpdk.payload_bytes = as<std::uint32_t>(v); }},
{.path = "dpdk.tx_drain_us", .kind = vk::integer, .default_value = "100", .min = 1, .max = 1000000,
 .description = "A partly filled transmit burst leaves after at most this many microseconds.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.dpdk.tx_drain_us = as<std::uint32_t>(v); }},
{.path = "dpdk.rx_on_egress", .kind = vk::boolean, .default_value = "false",
 .description = "Poll dpdk sources on an egress thread (core i's on egress thread i mod egress threads), which "
                "relays their datagrams to the source's core: the core only decodes, routes and packs. Faster "
                "when the egress threads have time to spare.",
 .store = [](load_context& c, const toml_value& v) { c.cfg.dpdk.rx_on_egress = v.boolean; }},
{.path = "dpdk.ports", .kind = vk::table_list, .default_value = "[]", .min_items = 0, .max_items = 64,
 .description = "The ethdev ports, numbered in order from 0 (sources[].dpdk_port, dpdk://PORT/...).",
 .store = [](load_context& c, const toml_value&) { c.cfg.dpdk.ports.emplace_back(); }},
{.path = "dpdk.ports[].device", .kind = vk::string, .default_value = "(required)", .min_items = 1,
 .description = "PCI address or vdev string (\"net_pcap0,rx_pcap=in.pcap\").",
 .store = [](load_context& c, const toml_value& v) { port(c).device = v.text; }},
{.path = "dpdk.ports[].rx_queues", .kind = vk::integer, .default_value = "1", .min = 1, .max = 64,
 .notes = "when sources read the port: one source per queue",
 .description = "Receive queues (RSS spreads flows over them when the device has it); each is "
                "polled by one [[sources]] entry, spread over the cores by sources[].core.",
 .store = [](load_context& c, const toml_value& v) { port(c).rx_queues = as<std::uint16_t>(v); }},
{.path = "dpdk.ports[].tx_queues", .kind = vk::integer, .default_value = "1", .min = 1, .max = 64,
 .notes = "when sinks send on the port: > the index of every egress thread that sends on it",
 .description = "Transmit queues; egress thread e (partition p goes to thread p % the number of "
                "router.egress_cpus) sends on queue e. Some drivers (net_tap) need as many as rx_queues.",
 .store = [](load_context& c, const toml_value& v) { port(c).tx_queues = as<std::uint16_t>(v); }},
{.path = "dpdk.ports[].rx_descriptors", .kind = vk::integer, .default_value = "1024", .min = 64, .max = 16384,
 .rule = int_rule::power_of_two,
 .description = "Descriptors per receive queue.",
 .store = [](load_context& c, const toml_value& v) { port(c).rx_descriptors = as<std::uint16_t>(v); }},
{.path = "dpdk.ports[].tx_descriptors", .kind = vk::integer, .default_value = "1024", .min = 64, .max = 16384,
 .rule = int_rule::power_of_two,
 .description = "Descriptors per transmit queue.",
 .store = [](load_context& c, const toml_value& v) { port(c).tx_descriptors = as<std::uint16_t>(v); }},
{.path = "dpdk.ports[].mac", .kind = vk::string, .default_value = "\"\"", .notes = "\"\" or aa:bb:cc:dd:ee:ff",
 .description = "Source MAC of frames dpdk sinks build (\"\" = the port's own).",
 .store = [](load_context& c, const toml_value& v) { port(c).mac = v.text; }},
{.path = "dpdk.ports[].ip", .kind = vk::string, .default_value = "\"\"", .notes = "\"\" or dotted IPv4",
 .description = "Source IPv4 address of frames dpdk sinks build.",
 .store = [](load_context& c, const toml_value& v) { port(c).ip = v.text; }},
{.path = "dpdk.ports[].udp_port", .kind = vk::integer, .default_value = "0", .min = 0, .max = 65535,
 .description = "Source UDP port of frames dpdk sinks build.",
 .store = [](load_context& c, const toml_value& v) { port(c).udp_port = as<std::uint16_t>(v); }},
};
// clang-format on

std::string join(std::string_view prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
}

std::string_view parent_of(std::string_view path) {
    const auto dot = path.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : path.substr(0, dot);
}

std::string_view leaf_of(std::string_view path) {
    const auto dot = path.rfind('.');
    return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

/// The message for a key the schema does not have: the closest key in the
/// same table when it is close, else the same name in another table, else the
/// keys this table has.
[[noreturn]] void unknown_key(load_context& c, const toml_member& m, std::string_view schema_prefix,
                              const std::string& concrete) {
    const std::string shown_prefix(parent_of(concrete));
    const key_spec* best = nullptr;
    std::size_t best_d = 0;
    std::string siblings;
    for (const auto& k : keys) {
        if (parent_of(k.path) != schema_prefix) continue;
        const auto leaf = leaf_of(k.path);
        siblings += (siblings.empty() ? "" : ", ") + std::string(leaf);
        const std::size_t d = edit_distance(m.key, leaf);
        if (!best || d < best_d) best = &k, best_d = d;
    }
    std::string msg = "unknown key '" + concrete + "'";
    if (best && best_d <= std::max<std::size_t>(2, m.key.size() / 3)) {
        msg += "; did you mean '" + join(shown_prefix, leaf_of(best->path)) + "'?";
    } else {
        const key_spec* elsewhere = nullptr;
        for (const auto& k : keys)
            if (leaf_of(k.path) == m.key) {
                elsewhere = &k;
                break;
            }
        if (elsewhere)
            msg += "; did you mean '" + std::string(elsewhere->path) + "'?";
        else if (!siblings.empty())
            msg += "; expected one of: " + siblings;
    }
    throw config_error(c.file, m.pos.line, m.pos.column, concrete, msg);
}

bool is_power_of_two(std::int64_t v) noexcept { return v > 0 && (v & (v - 1)) == 0; }

std::string range_text(const key_spec& k) {
    const std::string r = "[" + std::to_string(k.min) + ", " + std::to_string(k.max) + "]";
    switch (k.rule) {
    case int_rule::range:
        return "an integer in " + r;
    case int_rule::power_of_two:
        return "a power of two in " + r;
    case int_rule::zero_or_range:
        return "0 or an integer in " + r;
    case int_rule::zero_or_power_of_two:
        return "0 or a power of two in " + r;
    }
    return r;
}

bool in_bounds(const key_spec& k, std::int64_t v) noexcept {
    const bool zero_ok = k.rule == int_rule::zero_or_range || k.rule == int_rule::zero_or_power_of_two;
    if (v == 0 && zero_ok) return true;
    if (v < k.min || v > k.max) return false;
    if (k.rule == int_rule::power_of_two || k.rule == int_rule::zero_or_power_of_two)
        return is_power_of_two(v);
    return true;
}

std::string choices_list(std::string_view choices) {
    std::string out;
    while (!choices.empty()) {
        const auto bar = choices.find('|');
        out += (out.empty() ? "" : ", ") + quote(choices.substr(0, bar));
        choices = bar == std::string_view::npos ? std::string_view{} : choices.substr(bar + 1);
    }
    return out;
}

bool is_choice(std::string_view choices, std::string_view v) {
    while (true) {
        const auto bar = choices.find('|');
        if (choices.substr(0, bar) == v) return true;
        if (bar == std::string_view::npos) return false;
        choices.remove_prefix(bar + 1);
    }
}

bool is_hex_seed(std::string_view s) noexcept {
    if (s.size() < 3 || s.size() > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    for (char ch : s.substr(2))
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))) return false;
    return true;
}

std::string expected_text(const key_spec& k) {
    switch (k.kind) {
    case vk::integer:
        return range_text(k);
    case vk::seed:
        return range_text(k) + " or a hex string \"0x...\" of 1 to 16 digits";
    case vk::boolean:
        return "true or false";
    case vk::string:
        if (!k.choices.empty()) return "one of " + choices_list(k.choices);
        return k.min_items > 0 ? "a non-empty string" : "a string";
    case vk::integer_list:
        return "an array of integers in [" + std::to_string(k.min) + ", " + std::to_string(k.max) + "]";
    case vk::string_list:
        return "an array of strings";
    case vk::table:
        return "a table";
    case vk::table_list:
        return "an array of tables";
    }
    return "?";
}

using tk = toml_value::kind;

void check_count(load_context& c, const key_spec& k, const toml_value& v, const std::string& key) {
    const std::size_t n = v.type == tk::array ? v.items.size() : 0;
    if (n < k.min_items || n > k.max_items)
        c.fail(v.pos, key,
               "expected " + std::to_string(k.min_items) + " to " + std::to_string(k.max_items) +
                   " entries, found " + std::to_string(n));
}

void check_and_store(load_context& c, const key_spec& k, const toml_value& v, const std::string& key) {
    const auto wrong = [&](const toml_value& at, const std::string& at_key) {
        c.fail(at.pos, at_key, "expected " + expected_text(k) + ", found " + describe(at));
    };
    c.seen[key] = v.pos;
    switch (k.kind) {
    case vk::table:
        if (v.type != tk::table) wrong(v, key);
        c.tables[key] = v.pos;
        walk_table(c, v, k.path, key);
        return;
    case vk::table_list:
        if (v.type != tk::array) wrong(v, key);
        check_count(c, k, v, key);
        for (std::size_t i = 0; i < v.items.size(); ++i) {
            const toml_value& e = v.items[i];
            const std::string ekey = key + "[" + std::to_string(i) + "]";
            if (e.type != tk::table) wrong(e, ekey);
            c.tables[ekey] = e.pos;
            c.current_key = ekey;
            k.store(c, e);
            walk_table(c, e, std::string(k.path) + "[]", ekey);
        }
        return;
    case vk::integer:
        if (v.type != tk::integer || !in_bounds(k, v.integer)) wrong(v, key);
        break;
    case vk::seed:
        if (v.type == tk::string ? !is_hex_seed(v.text) : v.type != tk::integer || !in_bounds(k, v.integer))
            wrong(v, key);
        break;
    case vk::boolean:
        if (v.type != tk::boolean) wrong(v, key);
        break;
    case vk::string:
        if (v.type != tk::string || v.text.size() < k.min_items ||
            (!k.choices.empty() && !is_choice(k.choices, v.text)))
            wrong(v, key);
        break;
    case vk::integer_list:
    case vk::string_list: {
        if (v.type != tk::array) wrong(v, key);
        check_count(c, k, v, key);
        const tk want = k.kind == vk::integer_list ? tk::integer : tk::string;
        for (std::size_t i = 0; i < v.items.size(); ++i) {
            const toml_value& e = v.items[i];
            const std::string ekey = key + "[" + std::to_string(i) + "]";
            c.seen[ekey] = e.pos;
            if (e.type != want || (want == tk::integer && (e.integer < k.min || e.integer > k.max)))
                c.fail(e.pos, ekey,
                       "expected " +
                           (want == tk::integer ? "an integer in [" + std::to_string(k.min) + ", " +
                                                      std::to_string(k.max) + "]"
                                                : std::string("a string")) +
                           ", found " + describe(e));
        }
        break;
    }
    }
    c.current_key = key;
    k.store(c, v);
}

} // namespace

std::span<const key_spec> schema() noexcept { return keys; }

const key_spec* find_key(std::string_view path) noexcept {
    for (const auto& k : keys)
        if (k.path == path) return &k;
    return nullptr;
}

std::string_view type_text(value_kind k) noexcept {
    switch (k) {
    case vk::integer:
        return "integer";
    case vk::boolean:
        return "boolean";
    case vk::string:
        return "string";
    case vk::integer_list:
        return "array of integers";
    case vk::string_list:
        return "array of strings";
    case vk::table:
        return "table";
    case vk::table_list:
        return "array of tables";
    case vk::seed:
        return "integer or hex string";
    }
    return "?";
}

std::string bounds_text(const key_spec& k) {
    std::string out;
    const auto range = [&] {
        const std::string r = std::to_string(k.min) + ".." + std::to_string(k.max);
        switch (k.rule) {
        case int_rule::range:
            return r;
        case int_rule::power_of_two:
            return "power of two, " + r;
        case int_rule::zero_or_range:
            return "0 or " + r;
        case int_rule::zero_or_power_of_two:
            return "0 or a power of two, " + r;
        }
        return r;
    };
    switch (k.kind) {
    case vk::integer:
        out = range();
        break;
    case vk::seed:
        out = range() + ", or \"0x\" + 1..16 hex digits";
        break;
    case vk::boolean:
        out = "true, false";
        break;
    case vk::string:
        if (!k.choices.empty())
            out = "one of: " + choices_list(k.choices);
        else if (k.choices_text)
            out = "one of: " + k.choices_text();
        else if (k.min_items > 0)
            out = "non-empty";
        break;
    case vk::integer_list:
        out = std::to_string(k.min_items) + ".." + std::to_string(k.max_items) + " entries, each " +
              std::to_string(k.min) + ".." + std::to_string(k.max);
        break;
    case vk::string_list:
    case vk::table_list:
        out = std::to_string(k.min_items) + ".." + std::to_string(k.max_items) + " entries";
        break;
    case vk::table:
        break;
    }
    if (!k.notes.empty()) out += (out.empty() ? "" : "; ") + std::string(k.notes);
    return out;
}

text_pos load_context::where(std::string_view path) const {
    if (auto it = seen.find(path); it != seen.end()) return it->second;
    if (auto it = tables.find(path); it != tables.end()) return it->second;
    return {};
}

void load_context::fail(text_pos at, std::string_view k, const std::string& message) const {
    throw config_error(file, at.line, at.column, std::string(k), "key '" + std::string(k) + "': " + message);
}

void walk_table(load_context& c, const toml_value& table, std::string_view schema_prefix,
                const std::string& concrete_prefix) {
    for (const auto& m : table.members) {
        const std::string concrete = join(concrete_prefix, m.key);
        const key_spec* k = find_key(join(schema_prefix, m.key));
        if (!k) unknown_key(c, m, schema_prefix, concrete);
        check_and_store(c, *k, m.value, concrete);
    }
}

std::string quote(std::string_view s) {
    constexpr std::size_t limit = 60;
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == limit) {
            out += "...";
            break;
        }
        const auto ch = static_cast<unsigned char>(s[i]);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += static_cast<char>(ch);
        } else if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\t') {
            out += "\\t";
        } else if (ch < 0x20 || ch == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[ch >> 4];
            out += hex[ch & 15];
        } else {
            out += static_cast<char>(ch);
        }
    }
    return out + "\"";
}

std::string describe(const toml_value& v) {
    switch (v.type) {
    case tk::integer:
        return std::to_string(v.integer);
    case tk::string:
        return "a string " + quote(v.text);
    case tk::floating:
        return "a floating-point number " + v.text;
    case tk::boolean:
        return std::string("a boolean ") + (v.boolean ? "true" : "false");
    case tk::date_time:
        return "a date/time " + v.text;
    case tk::array:
        return "an array of " + std::to_string(v.items.size()) + " entries";
    case tk::table:
        return "a table";
    }
    return "?";
}

} // namespace shardgate::control::config_detail

namespace shardgate::control {

std::vector<key_doc> config_keys() {
    std::vector<key_doc> out;
    for (const auto& k : config_detail::schema())
        out.push_back({std::string(k.path), std::string(config_detail::type_text(k.kind)),
                       std::string(k.default_value), config_detail::bounds_text(k),
                       std::string(k.description)});
    return out;
}

std::string config_keys_markdown() {
    const auto cell = [](std::string_view s) {
        std::string out;
        for (char ch : s) {
            if (ch == '|') out += '\\';
            out += ch;
        }
        return out;
    };
    std::string out;
    for (const auto& k : config_detail::schema()) {
        const bool section = k.path.find('.') == std::string_view::npos;
        const bool nested_list = !section && k.kind == config_detail::value_kind::table_list;
        if (section || nested_list) {
            const std::string header = k.kind == config_detail::value_kind::table_list
                                           ? "[[" + std::string(k.path) + "]]"
                                           : "[" + std::string(k.path) + "]";
            out += "\n### `" + header + "`\n\n" + std::string(k.description);
            const std::string b = config_detail::bounds_text(k);
            if (!b.empty()) out += " (" + b + ")";
            if (k.default_value.front() == '(') out += " " + std::string(k.default_value);
            out += "\n\n| key | type | default | bounds | description |\n|---|---|---|---|---|\n";
            continue;
        }
        out += "| `" + std::string(k.path) + "` | " + std::string(config_detail::type_text(k.kind)) + " | " +
               (k.default_value.front() == '(' ? cell(k.default_value) : "`" + cell(k.default_value) + "`") +
               " | " + cell(config_detail::bounds_text(k)) + " | " + cell(k.description) + " |\n";
    }
    return out;
}

} // namespace shardgate::control
