#!/usr/bin/env bash
# `shardgate run` on DPDK virtual devices, end to end, with no hugepages and
# no NIC: shardgate-gen writes trade datagrams as an Ethernet/IPv4/UDP
# capture; shardgate reads it through a net_pcap port (rx_pcap), routes by the
# query, and each partition leaves through its own net_pcap port (tx_pcap);
# shardgate-sink verifies the captures: every record once, no symbol in two
# partitions, per-(source, symbol) order, exact counts. Fixed records run
# three times: the core polling the port; the egress thread polling it for
# the core (dpdk.rx_on_egress), with 8 partitions; and with the capture's
# frames in IPv6.
#
# usage: run_pcap_test.sh SHARDGATE GEN SINK PMD_DIR
# (PMD_DIR: DPDK's driver plugin directory; the test skips, exit 77, only
# when net_pcap is not installed there)
set -uo pipefail
shardgate=${1:?usage: $0 SHARDGATE GEN SINK PMD_DIR}
gen=${2:?}
sink=${3:?}
pmd_dir=${4:?}
if ! compgen -G "$pmd_dir/librte_net_pcap.so*" >/dev/null; then
  echo "SKIP: DPDK's net_pcap driver is not installed in $pmd_dir (Debian package dpdk)"
  exit 77
fi
# shellcheck source=../../scripts/lib/loopback.sh
. "$(dirname "$0")/../../scripts/lib/loopback.sh"
# shellcheck source=pcap_partitions.sh
. "$(dirname "$0")/pcap_partitions.sh"
work=$(mktemp -d /tmp/shardgate-dpdk-run.XXXXXX)
first=''
prefix=''
cleanup() {
  # The prefix-clash case's first process and its runtime files (shardgate
  # leaves a prefix the user named in place), whatever happened.
  if [ -n "$first" ]; then
    kill -INT "$first" 2>/dev/null
    wait "$first" 2>/dev/null
  fi
  [ -n "$prefix" ] && rm -rf "/var/run/dpdk/$prefix"
  rm -rf "$work"
}
trap cleanup EXIT
records=200000

for run in fixed csv fixed:rx_on_egress fixed:ipv6; do
  fmt=${run%%:*}
  rx_on_egress=false
  partitions=4
  addresses=()
  case $run in
    # With the relay: 8 partitions, 9 ports, only one of them polled; the mbuf
    # pool (default 8191) must cover the 1024 the relay holds, not 1024 a port.
    *:rx_on_egress) rx_on_egress=true; partitions=8 ;;
    # The capture in IPv6 frames (sinks still send IPv4).
    *:ipv6) addresses=(--src-ip fd00::1 --dst-ip fd00::2) ;;
  esac
  d="$work/${run/:/-}"
  mkdir -p "$d"
  "$gen" --pcap "$d/in.pcap" --format "$fmt" --records "$records" --keys 500 --sources 4 --seed 3 \
    --datagram-bytes 1400 --dst-port 9000 "${addresses[@]}" --summary-json "$d/gen.json" >/dev/null ||
    { echo "FAIL [$run]: the generator could not write the capture"; exit 1; }
  if [ ${#addresses[@]} -gt 0 ]; then
    # The first frame's ethertype: after the 24-byte file and 16-byte frame headers, 12 bytes in.
    type=$(od -An -tx1 -j 52 -N 2 "$d/in.pcap" | tr -d ' ')
    [ "$type" = 86dd ] || { echo "FAIL [$run]: the capture's frames are not IPv6 (ethertype $type)"; exit 1; }
  fi
  {
    # Lanes hold the whole capture (2048 blocks): the replay is faster than
    # the tx_pcap writers, and a DPDK source is lossy (it counts what does
    # not fit).
    trade_router_toml "$partitions" 1 2048 "$fmt"
    cat <<TOML

[dpdk]
eal_args = ["--no-huge", "--no-pci", "-m", "256"]
payload_bytes = 1400
rx_on_egress = $rx_on_egress

[[dpdk.ports]]
device = "net_pcap0,rx_pcap=$d/in.pcap"

TOML
    pcap_partition_ports_toml "$partitions" "$d"
    cat <<TOML
[[sources]]
kind = "dpdk"
dpdk_port = 0
dpdk_queue = 0
udp_port = 9000

TOML
    pcap_partition_sinks_toml "$partitions"
  } >"$d/router.toml"
  # The capture replays once; a few seconds is plenty, then the stop drains.
  if ! "$shardgate" run --config "$d/router.toml" --duration 3 --summary-json "$d/router.json" \
      >"$d/router.out" 2>"$d/router.err"; then
    echo "FAIL [$run]: shardgate run failed: $(tail -5 "$d/router.err" "$d/router.out")"
    exit 1
  fi
  if ! "$sink" --pcap "$(pcap_partition_files "$partitions" "$d")" --format "$fmt" --key symbol \
      --expect "$records" --summary-json "$d/sink.json" >"$d/sink.out" 2>&1; then
    echo "FAIL [$run]: the captures do not verify: $(head -c 1500 "$d/sink.json" 2>/dev/null || cat "$d/sink.out")"
    echo "router: $(cat "$d/router.out")"
    exit 1
  fi
  grep -q '"reconciled":true' "$d/router.json" || { echo "FAIL [$run]: router counts do not reconcile"; exit 1; }
  echo "ok   [$run] $records records through DPDK net_pcap ports verify: $(grep -o '"per_partition":\[[0-9,]*\]' "$d/sink.json")"
done

# start_case NAME [RECORDS KEYS]: sets d to a fresh directory for case NAME
# and, given RECORDS and KEYS, writes a capture of that many fixed trade
# records over that many symbols to $d/in.pcap.
start_case() {
  d="$work/$1"
  mkdir -p "$d"
  [ $# -lt 3 ] && return 0
  "$gen" --pcap "$d/in.pcap" --format fixed --records "$2" --keys "$3" --dst-port 9000 >/dev/null ||
    { echo "FAIL [$1]: the generator could not write the capture"; exit 1; }
}

# null_port_toml: port 1, a net_null the sinks send to, and a source on
# port 0's queue 0 (after port 0's own [[dpdk.ports]] entry).
null_port_toml() {
  cat <<TOML
[[dpdk.ports]]
device = "net_null0"
ip = "10.0.0.1"

[[sources]]
kind = "dpdk"
dpdk_port = 0
udp_port = 9000
TOML
}

# count_router_toml: a one-partition router counting trades, for the
# single-partition cases below.
count_router_toml() { trade_router_toml 1 1 64 fixed "SELECT COUNT(*) FROM trades"; }

# Two processes with one --file-prefix: the second cannot start its EAL,
# and DPDK gives no reason (rte_errno 0); the error must name the clash.
start_case prefix-clash
prefix="sg-clash-$$"
{
  count_router_toml
  cat <<TOML

[[sources]]
kind = "udp"
bind = "127.0.0.1:0"

[dpdk]
eal_args = ["--no-huge", "--no-pci", "-m", "256", "--file-prefix=$prefix"]

[[dpdk.ports]]
device = "net_null0"
ip = "10.0.0.1"

[sinks]
uri = "dpdk://0/02:00:00:00:00:02/10.0.1.1:9000"
TOML
} >"$d/router.toml"
"$shardgate" run --config "$d/router.toml" --duration 10 --ready-file "$d/first.ready" >"$d/first.out" 2>"$d/first.err" &
first=$!
for _ in $(seq 1 200); do [ -f "$d/first.ready" ] && break; sleep 0.05; done
[ -f "$d/first.ready" ] || { echo "FAIL [prefix-clash]: the first run did not start: $(tail -3 "$d/first.err")"; exit 1; }
if "$shardgate" run --config "$d/router.toml" --duration 1 >"$d/second.out" 2>"$d/second.err"; then
  echo "FAIL [prefix-clash]: a second process started on the file prefix the first one holds"
  exit 1
fi
kill -INT "$first"
wait "$first" || { echo "FAIL [prefix-clash]: the first run did not end cleanly: $(tail -3 "$d/first.err")"; exit 1; }
first=
grep -q "another DPDK process uses this file prefix ($prefix): give each process its own" "$d/second.err" ||
  { echo "FAIL [prefix-clash]: the error does not name the clash: $(tail -2 "$d/second.err")"; exit 1; }
echo "ok   [prefix-clash] a second process on one --file-prefix is refused with the reason"


# The mbuf pool sum: `check` refuses a pool `run` refuses, with the same
# message. On a machine of one NUMA node both do the sum before the EAL
# (every port is on socket 0); with more nodes, or none known, `check` can
# only warn, and `run` refuses once the EAL has placed the ports (the
# environment's own sum, also covered by error_mbuf_pool_too_small).
start_case pool-sum 100 10
{
  count_router_toml
  cat <<TOML

[dpdk]
eal_args = ["--no-huge", "--no-pci", "-m", "256"]
mempool_mbufs = 1100
mbuf_cache = 0
rx_on_egress = true

[[dpdk.ports]]
device = "net_pcap0,rx_pcap=$d/in.pcap"
ip = "10.0.0.1"

TOML
  null_port_toml
  cat <<TOML

[sinks]
uri = "dpdk://1/02:00:00:00:00:02/10.0.1.1:9000"
TOML
} >"$d/router.toml"
nodes=$(find /sys/devices/system/node -maxdepth 1 -name 'node[0-9]*' 2>/dev/null | wc -l)
sum_re='dpdk\.mempool_mbufs (1100) must exceed what the ports on NUMA socket [-0-9]* can hold: 0 in NIC descriptors'
"$shardgate" run --config "$d/router.toml" --duration 1 >"$d/run.out" 2>"$d/run.err" &&
  { echo "FAIL [pool-sum]: run started with a pool smaller than what the ports hold"; exit 1; }
run_error=$(grep -o "$sum_re.*" "$d/run.err" | head -1)
[ -n "$run_error" ] || { echo "FAIL [pool-sum]: run's error: $(tail -2 "$d/run.err")"; exit 1; }
"$shardgate" check --config "$d/router.toml" >"$d/check.out" 2>"$d/check.err"
rc=$?
if [ "$nodes" -eq 1 ]; then
  [ "$rc" -eq 2 ] || { echo "FAIL [pool-sum]: check exited $rc on a pool run refuses"; exit 1; }
  grep -qF "$run_error" "$d/check.err" ||
    { echo "FAIL [pool-sum]: check's error differs from run's: $(cat "$d/check.err") / $run_error"; exit 1; }
  echo "ok   [pool-sum] check refuses the pool run refuses, with the same message"
else
  [ "$rc" -eq 0 ] &&
    grep -q "if every port is on one NUMA socket (.*), dpdk.mempool_mbufs (1100) must exceed what all the ports together can hold" "$d/check.out" ||
    { echo "FAIL [pool-sum]: check on a machine of $nodes NUMA nodes: exit $rc, $(cat "$d/check.out" "$d/check.err" | tail -3)"; exit 1; }
  echo "ok   [pool-sum] run refuses the pool; check, on a machine of $nodes NUMA nodes, warns"
fi
# The other branch, here too where we may: check on a machine of two NUMA
# nodes (a sysfs node list of two, in a mount namespace of its own) warns.
if unshare -m true 2>/dev/null; then
  unshare -m bash -c 'mount -t tmpfs none /sys/devices/system/node && mkdir /sys/devices/system/node/node0 \
      /sys/devices/system/node/node1 && exec "$0" check --config "$1"' "$shardgate" "$d/router.toml" \
      >"$d/check2.out" 2>"$d/check2.err"
  rc=$?
  [ "$rc" -eq 0 ] &&
    grep -q "if every port is on one NUMA socket (this machine has 2 NUMA nodes), dpdk.mempool_mbufs (1100) must exceed what all the ports together can hold" "$d/check2.out" ||
    { echo "FAIL [pool-sum]: check with two NUMA nodes listed: exit $rc, $(cat "$d/check2.out" "$d/check2.err" | tail -3)"; exit 1; }
  echo "ok   [pool-sum] with two NUMA nodes listed, check warns instead"
else
  echo "skip [pool-sum] two NUMA nodes: cannot make a mount namespace (unshare -m; root)"
fi

# What the environment warns about at start (here: net_ring has no RSS for
# its two rx queues) reaches run's output, not only --summary-json.
start_case start-warning
{
  count_router_toml
  cat <<TOML

[dpdk]
eal_args = ["--no-huge", "--no-pci", "-m", "256"]

[[dpdk.ports]]
device = "net_ring0"
rx_queues = 2
ip = "10.0.0.1"

TOML
  null_port_toml
  cat <<TOML

[[sources]]
kind = "dpdk"
dpdk_port = 0
dpdk_queue = 1
udp_port = 9000

[sinks]
uri = "dpdk://1/02:00:00:00:00:02/10.0.1.1:9000"
TOML
} >"$d/router.toml"
"$shardgate" run --config "$d/router.toml" --duration 1 >"$d/run.out" 2>"$d/run.err" ||
  { echo "FAIL [start-warning]: run failed: $(tail -3 "$d/run.err")"; exit 1; }
grep -qF 'warning:    dpdk: dpdk.ports[0] ("net_ring0"): rx_queues = 2 but net_ring has no RSS' "$d/run.out" ||
  { echo "FAIL [start-warning]: run's output does not carry the start-time warning: $(head -8 "$d/run.out")"; exit 1; }
echo "ok   [start-warning] a warning found at start is printed with the plan's"

# The pool's budget for zero-copy transmit: check says how many lanes of
# DPDK sinks can live in mbufs, and run binds exactly that many. Four
# partitions of 64-block lanes; a pool with room for two lanes and a bit.
start_case zero-copy-budget 2000 50
budget_toml() {
  trade_router_toml 4 1 64
  cat <<TOML

[dpdk]
eal_args = ["--no-huge", "--no-pci", "-m", "256"]
mempool_mbufs = $1
payload_bytes = 1400

[[dpdk.ports]]
device = "net_pcap0,rx_pcap=$d/in.pcap"

$(pcap_partition_ports_toml 4 "$d")
[[sources]]
kind = "dpdk"
dpdk_port = 0
udp_port = 9000

$(pcap_partition_sinks_toml 4)
TOML
}
budget_toml 8191 >"$d/probe.toml"
"$shardgate" check --config "$d/probe.toml" >"$d/probe.out" 2>&1 ||
  { echo "FAIL [zero-copy-budget]: check refused the probe config: $(tail -2 "$d/probe.out")"; exit 1; }
held=$(sed -n 's/.*thread caches hold up to \([0-9]*\).*/\1/p' "$d/probe.out")
grep -q "room for all to send zero-copy" "$d/probe.out" && [ -n "$held" ] ||
  { echo "FAIL [zero-copy-budget]: check's pool line: $(grep 'dpdk pool' "$d/probe.out")"; exit 1; }
budget_toml $((held + 1 + 2 * 64 + 10)) >"$d/router.toml"
"$shardgate" check --config "$d/router.toml" >"$d/check.out" 2>&1
grep -qF "room for 2 of the 4 lanes to send zero-copy (the first to send; the others copy each frame; dpdk.mempool_mbufs >= $((held + 1 + 4 * 64)) makes room for all)" "$d/check.out" ||
  { echo "FAIL [zero-copy-budget]: check's pool line: $(grep 'dpdk pool' "$d/check.out")"; exit 1; }
"$shardgate" run --config "$d/router.toml" --duration 2 >"$d/run.out" 2>"$d/run.err" ||
  { echo "FAIL [zero-copy-budget]: run failed: $(tail -3 "$d/run.err")"; exit 1; }
# A lane's blocks move into mbufs as they are first sent, once its whole
# lane is reserved; a sink whose lane does not fit says so and copies.
bound=$(grep "sinks:" "$d/run.out" | grep -v "could not spare" | grep -c "zero-copy from [1-9][0-9]* lane blocks")
copied=$(grep "sinks:" "$d/run.out" | grep "could not spare an mbuf per lane block" | grep -c "zero-copy from 0 lane blocks")
[ "$bound" -eq 2 ] && [ "$copied" -eq 2 ] ||
  { echo "FAIL [zero-copy-budget]: check predicted 2 of 4 lanes in mbufs, run bound $bound (copied $copied): $(grep 'sinks:' "$d/run.out")"; exit 1; }
# Large payloads send in place too: the pool's mbufs are sized for a block
# of payload_bytes with the headers in front (1985 bytes needs a data room
# beyond the largest frame's).
budget_toml 8191 | sed 's/^payload_bytes = 1400/payload_bytes = 1985/' >"$d/large.toml"
grep -q '^payload_bytes = 1985$' "$d/large.toml" ||
  { echo "FAIL [zero-copy-budget]: the 1985-byte config did not get its payload_bytes"; exit 1; }
"$shardgate" check --config "$d/large.toml" >"$d/large.out" 2>&1
grep -q "dpdk pool .*room for all to send zero-copy" "$d/large.out" ||
  { echo "FAIL [zero-copy-budget]: check's pool line for 1985-byte blocks: $(grep 'dpdk pool' "$d/large.out")"; exit 1; }
"$shardgate" run --config "$d/large.toml" --duration 2 >"$d/large-run.out" 2>"$d/large-run.err" ||
  { echo "FAIL [zero-copy-budget]: run with 1985-byte blocks failed: $(tail -3 "$d/large-run.err")"; exit 1; }
[ "$(grep "sinks:" "$d/large-run.out" | grep -c "zero-copy from [1-9][0-9]* lane blocks living in mbufs; [0-9]* bursts retried, [0-9]* submits without an mbuf$")" -eq 4 ] ||
  { echo "FAIL [zero-copy-budget]: run's sinks with 1985-byte blocks: $(grep 'sinks:' "$d/large-run.out")"; exit 1; }
echo "ok   [zero-copy-budget] check's budget (2 of 4 lanes zero-copy) is what run binds; 1985-byte blocks send in place"
