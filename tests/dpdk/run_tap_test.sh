#!/usr/bin/env bash
# `shardgate run` on a DPDK port with two receive queues, each polled by its
# own dataplane core, fed by real traffic: a net_tap port in a network
# namespace of its own. The kernel sends shardgate-gen's datagrams out of
# the tap interface; the tap device spreads them over its queues by flow
# (one flow per generator), so both cores route. Each partition leaves
# through its own net_pcap port; shardgate-sink verifies the captures: every
# record once, no symbol in two partitions, per-(source, symbol) order
# (each generator has its own sources, and a flow stays on one queue),
# exact counts.
#
# usage: run_tap_test.sh SHARDGATE GEN SINK PMD_DIR
# Skips (exit 77), saying why, without root, /dev/net/tun, a network
# namespace or DPDK's net_tap driver in PMD_DIR.
set -uo pipefail
shardgate=${1:?usage: $0 SHARDGATE GEN SINK PMD_DIR}
gen=${2:?}
sink=${3:?}
pmd_dir=${4:?}

if [ -z "${SHARDGATE_TAP_NETNS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: net_tap needs root (a tap interface and a network namespace)"; exit 77; }
  [ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun on this machine"; exit 77; }
  compgen -G "$pmd_dir/librte_net_tap.so*" >/dev/null ||
    { echo "SKIP: DPDK's net_tap driver is not installed in $pmd_dir (Debian package dpdk)"; exit 77; }
  unshare -n -m true 2>/dev/null ||
    { echo "SKIP: cannot create a network and mount namespace (unshare -n -m)"; exit 77; }
  # Everything below runs in network and mount namespaces of its own: the
  # tap interface, its address and the generators' traffic never leave it,
  # and DPDK's runtime files go to a tmpfs that goes with it, whatever
  # becomes of the processes.
  mkdir -p /var/run/dpdk
  SHARDGATE_TAP_NETNS=1 exec unshare -n -m --propagation private "$0" "$@"
fi
mount -t tmpfs shardgate-tap /var/run/dpdk || { echo "FAIL: cannot mount a tmpfs on /var/run/dpdk"; exit 1; }

# shellcheck source=../../scripts/lib/loopback.sh
. "$(dirname "$0")/../../scripts/lib/loopback.sh"
# shellcheck source=pcap_partitions.sh
. "$(dirname "$0")/pcap_partitions.sh"
work=$(mktemp -d /tmp/shardgate-dpdk-tap.XXXXXX)
router_pid=
gen_pids=()
cleanup() {
  for p in "${gen_pids[@]}" $router_pid; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "router stdout: $(cat "$work/router.out" 2>/dev/null)"
  echo "router stderr: $(tail -20 "$work/router.err" 2>/dev/null)"
  exit 1
}

ip link set lo up
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null # less kernel chatter on the tap
flows=16            # generators, one UDP flow each
per_flow=12500      # records each
records=$((flows * per_flow))
partitions=4
dpdk_mac=02:00:00:00:99:02
{
  trade_router_toml "$partitions" 2 512
  cat <<TOML

[dpdk]
eal_args = ["--no-huge", "--no-pci", "-m", "256"]
payload_bytes = 1400

# The tap device needs as many transmit queues as receive queues.
[[dpdk.ports]]
device = "net_tap0,iface=sgtap0,mac=$dpdk_mac"
rx_queues = 2
tx_queues = 2

TOML
  pcap_partition_ports_toml "$partitions" "$work"
  cat <<TOML
[[sources]]
kind = "dpdk"
dpdk_port = 0
dpdk_queue = 0
core = 0

[[sources]]
kind = "dpdk"
dpdk_port = 0
dpdk_queue = 1
core = 1

TOML
  pcap_partition_sinks_toml "$partitions"
} >"$work/router.toml"

# First with one transmit queue: net_tap itself would refuse that with a
# bare EPERM; the loader refuses it first, naming the rule.
sed 's/^tx_queues = 2$/tx_queues = 1/' "$work/router.toml" >"$work/one-txq.toml"
if "$shardgate" run --config "$work/one-txq.toml" --duration 1 >"$work/one-txq.out" 2>"$work/one-txq.err"; then
  fail "shardgate run started a net_tap port with 2 rx queues and 1 tx queue"
fi
grep -q "the tap driver (net_tap0) needs as many tx as rx queues" "$work/one-txq.err" ||
  fail "unequal queues: the error does not name the remedy: $(tail -3 "$work/one-txq.err")"
# Then with a pool that covers what the sources, transmit buffers and caches
# hold but not the receive rings net_tap fills from it when it starts: the
# start must be refused, not leave reception without mbufs.
sed 's/^\[dpdk\]$/[dpdk]\nmempool_mbufs = 3000/' "$work/router.toml" >"$work/small-pool.toml"
if "$shardgate" run --config "$work/small-pool.toml" --duration 1 >"$work/small-pool.out" 2>"$work/small-pool.err"; then
  fail "shardgate run started net_tap with a pool its receive rings do not leave room in"
fi
grep -q "dpdk.mempool_mbufs (3000) is too small once the ports on NUMA socket .* started: their devices took" \
  "$work/small-pool.err" || fail "small pool: unexpected error: $(tail -3 "$work/small-pool.err")"

"$shardgate" run --config "$work/router.toml" --duration 60 --ready-file "$work/router.ready" \
  --summary-json "$work/router.json" >"$work/router.out" 2>"$work/router.err" &
router_pid=$!
for _ in $(seq 1 400); do
  [ -f "$work/router.ready" ] && break
  kill -0 "$router_pid" 2>/dev/null || fail "shardgate run exited before it was ready"
  sleep 0.05
done
[ -f "$work/router.ready" ] || fail "shardgate run was not ready within 20 s"
ip link set sgtap0 up || fail "no tap interface sgtap0"
ip addr add 10.99.0.1/24 dev sgtap0
ip neigh replace 10.99.0.2 lladdr "$dpdk_mac" dev sgtap0 nud permanent

for f in $(seq 0 $((flows - 1))); do
  # Flow f: its own socket and destination port, its own sources 4f..4f+3.
  "$gen" --udp "10.99.0.2:$((9000 + f))" --records "$per_flow" --keys 200 --sources 4 \
    --first-source $((4 * f)) --seed $((f + 1)) --rate 25000 --datagram-bytes 1400 \
    >"$work/gen-$f.json" 2>&1 &
  gen_pids+=($!)
done
for p in "${gen_pids[@]}"; do wait "$p" || fail "a generator failed: $(cat "$work"/gen-*.json)"; done
# The last datagrams are through the tap queues within microseconds; the
# stop then drains what the router holds.
sleep 0.5
kill -INT "$router_pid"
wait "$router_pid"
rc=$?
router_pid=
[ "$rc" -eq 0 ] || fail "shardgate run exited $rc"

grep -q '"reconciled":true' "$work/router.json" || fail "router counts do not reconcile"
routed=$(grep -o '"records_out":[0-9]*' "$work/router.json" | head -1 | cut -d: -f2)
[ "${routed:-0}" -eq "$records" ] ||
  fail "the router delivered ${routed:-0} records, the generators sent $records (lost in the tap queues?)"
# net_tap's spread is the kernel's (the tap PMD hashes only for rte_flow RSS rules).
queues=$(grep -o "rx queues (the kernel's tun queue selection), frames: 0=[0-9]* 1=[0-9]*" "$work/router.out") ||
  fail "no per-queue receive counts, or not named as the kernel's, in the router's summary: $(grep 'rx queues' "$work/router.out")"
q0=$(sed -E 's/.* 0=([0-9]+) 1=([0-9]+)/\1/' <<<"$queues")
q1=$(sed -E 's/.* 0=([0-9]+) 1=([0-9]+)/\2/' <<<"$queues")
if [ "$q0" -eq 0 ] || [ "$q1" -eq 0 ]; then
  fail "the device did not spread $flows flows over both queues ($queues): one core routed everything"
fi
if ! "$sink" --pcap "$(pcap_partition_files "$partitions" "$work")" --format fixed --key symbol \
    --expect "$records" --summary-json "$work/sink.json" >"$work/sink.out" 2>&1; then
  fail "the captures do not verify: $(head -c 1500 "$work/sink.json" 2>/dev/null || cat "$work/sink.out")"
fi
echo "ok   $records records from $flows flows over net_tap's 2 queues ($queues) verify:" \
  "$(grep -o '"per_partition":\[[0-9,]*\]' "$work/sink.json")"
