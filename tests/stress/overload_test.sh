#!/usr/bin/env bash
# Sustained overload: memory stays flat and every record is accounted for.
#   udp: the generator sends as fast as it can for several seconds into a
#        router whose lanes are small; the router must drop and count
#        (drop_ring_full, drop_rx_kernel), never grow.
#   tcp: a sink that reads slowly stalls the router; the router must stop
#        reading (the generator is held back), lose nothing, never grow.
# Resident memory is sampled once the run is warm and again at the end; the
# test fails if it grew by more than 16 MiB.
#
# usage: overload_test.sh SHARDGATE GEN SINK
set -uo pipefail
shardgate=${1:?usage: $0 SHARDGATE GEN SINK}
gen=${2:?}
sink=${3:?}
work=$(mktemp -d /tmp/shardgate-overload.XXXXXX)
pids=()
failures=0
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$failures" -eq 0 ]; then rm -rf "$work"; else echo "logs kept in $work"; fi
}
trap cleanup EXIT
fail() { echo "FAIL [$name]: $*"; failures=$((failures + 1)); }
# shellcheck source=../../scripts/lib/loopback.sh
. "$(dirname "$0")/../../scripts/lib/loopback.sh"
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

for proto in udp tcp; do
  name="overload-$proto"
  d="$work/$proto"
  mkdir -p "$d"
  sink_args=(--idle-timeout 5 --timeout 120)
  [ "$proto" = tcp ] && sink_args+=(--slow-us 500 --read-bytes 65536)
  start_sink "$sink" "$d" "$proto" 4 --format fixed "${sink_args[@]}" ||
    { fail "sink did not start: $(cat "$d/sink.err")"; continue; }
  port=$sink_port
  pids+=("$sink_pid")
  cat >"$d/router.toml" <<TOML
[router]
partitions = 4
dataplane_cpus = [-1]
egress_cpus = [-1]
ring_blocks = 8
query = "SELECT symbol, COUNT(*) FROM trades GROUP BY symbol"
stats_interval_ms = 0
$(trade_format_toml fixed 1024)
[[sources]]
kind = "$proto"
bind = "127.0.0.1:0"
[sinks]
uri = "$proto://127.0.0.1:{$port+p}"
datagram_bytes = 1472
TOML
  "$shardgate" run --config "$d/router.toml" --ready-file "$d/router.ready" --summary-json "$d/router.json" \
    --quiet >"$d/router.out" 2>"$d/router.err" &
  router_pid=$!
  pids+=("$router_pid")
  for _ in $(seq 1 200); do [ -f "$d/router.ready" ] && break; sleep 0.05; done
  [ -f "$d/router.ready" ] || { fail "router did not start: $(cat "$d/router.err")"; continue; }
  in_port=$(head -1 "$d/router.ready")
  # Far more than the run can carry: the generator is stopped after 6 s.
  "$gen" "--$proto" "127.0.0.1:$in_port" --records 1000000000 --datagram-bytes 1472 --keys 1000 \
    >"$d/gen.out" 2>&1 &
  gen_pid=$!
  pids+=("$gen_pid")
  sleep 2
  warm=$(rss_kib "$router_pid")
  sleep 4
  late=$(rss_kib "$router_pid")
  kill -TERM "$gen_pid" 2>/dev/null
  wait "$gen_pid" 2>/dev/null
  sleep 0.3
  kill -TERM "$router_pid"
  wait "$router_pid"
  rc=$?
  wait "$sink_pid"
  [ "$rc" -eq 0 ] || fail "router exited $rc: $(tail -3 "$d/router.out" "$d/router.err")"
  grep -q '"reconciled":true' "$d/router.json" || fail "router counts do not reconcile"
  growth=$(( ${late:-0} - ${warm:-0} ))
  [ -n "$warm" ] && [ -n "$late" ] || fail "could not read the router's memory"
  [ "$growth" -le 16384 ] || fail "resident memory grew by $growth KiB under sustained overload ($warm -> $late KiB)"
  r_in=$(json_num "$d/router.json" records_in)
  r_out=$(json_num "$d/router.json" records_out)
  ring=$(json_num "$d/router.json" drop_ring_full)
  kernel=$(json_num "$d/router.json" drop_rx_kernel)
  got=$(json_num "$d/sink.json" total)
  [ "$got" = "$r_out" ] || fail "the sink received $got records, the router delivered $r_out"
  if [ "$proto" = tcp ]; then
    [ "$ring" = 0 ] || fail "TCP: $ring records dropped although the source is lossless"
  fi
  echo "ok   [$name] rss ${warm} -> ${late} KiB; in $r_in, out $r_out, ring drops $ring, kernel datagram drops $kernel"
done
[ "$failures" -eq 0 ]
