#!/usr/bin/env bash
# Loopback throughput benchmark (not a test): records/s through shardgate
# against the kernel's ceiling measured in the same run, i.e. the generator
# sending straight to the sink. 40-byte fixed "trade" records, 16 partitions,
# UDP in and out, the same datagram size on every hop.
#
#   ceiling:   shardgate-gen --ports 16 ---------------------> shardgate-sink (16 ports)
#   shardgate: shardgate-gen -> shardgate (16 partitions) ---> shardgate-sink (16 ports)
#
# Each figure is records the sink received divided by the time between its
# first and last record; the best of --repeats runs is kept for each side.
#
# usage: tools/bench/loopback.sh [BUILD_DIR] [--records N] [--datagram-bytes B]
#                                [--out-datagram-bytes B] [--repeats R] [--proto udp|tcp]
# --out-datagram-bytes: shardgate's sinks.datagram_bytes (default: the input's
# size); larger output datagrams let the router repack records into fewer
# packets than it received.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=build
records=20000000
datagram=16000
out_datagram=""
repeats=3
proto=udp
while [ $# -gt 0 ]; do
  case $1 in
    --records) records=$2; shift 2 ;;
    --datagram-bytes) datagram=$2; shift 2 ;;
    --out-datagram-bytes) out_datagram=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --proto) proto=$2; shift 2 ;;
    --help|-h) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "loopback.sh: unknown flag $1" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
out_datagram=${out_datagram:-$datagram}
shardgate="$build/control/cli/shardgate"
gen="$build/tools/gen/shardgate-gen"
sink="$build/tools/sink/shardgate-sink"
for b in "$shardgate" "$gen" "$sink"; do [ -x "$b" ] || { echo "missing $b: build first" >&2; exit 2; }; done

work=$(mktemp -d /tmp/shardgate-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
# shellcheck source=../../scripts/lib/loopback.sh
. scripts/lib/loopback.sh
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

bench_sink() { # PORT: the sink for one run
  rm -f "$work/sink.json" "$work/sink.ready"
  "$sink" "--$proto" "127.0.0.1:$1" --partitions 16 --format fixed --idle-timeout 1 --timeout 600 \
    --ready-file "$work/sink.ready" --summary-json "$work/sink.json" >/dev/null 2>"$work/sink.err" &
  sink_pid=$!
  wait_file "$work/sink.ready" "$sink_pid" || { echo "sink did not start: $(cat "$work/sink.err")" >&2; exit 1; }
}

sink_port=$((30000 + RANDOM % 20000))
best_ceiling=0 best_router=0
for r in $(seq 1 "$repeats"); do
  bench_sink "$sink_port"
  "$gen" "--$proto" "127.0.0.1:$sink_port" --ports 16 --records "$records" --datagram-bytes "$datagram" \
    --keys 1000 --seed "$r" --summary-json "$work/gen.json" >/dev/null 2>&1
  wait "$sink_pid"
  got=$(json_num "$work/sink.json" total)
  rate=$(json_num "$work/sink.json" records_per_s)
  printf 'ceiling   run %d: sink received %s of %s records at %.2f M records/s\n' "$r" "$got" "$records" \
    "$(calc "${rate:-0} / 1000000")"
  best_ceiling=$(max "${rate:-0}" "$best_ceiling")

  bench_sink "$sink_port"
  cat >"$work/router.toml" <<TOML
[router]
partitions = 16
dataplane_cpus = [0]
egress_cpus = [1]
ring_blocks = 256
query = "SELECT symbol, COUNT(*) FROM trades GROUP BY symbol"
stats_interval_ms = 0
$(trade_format_toml fixed 1024)
[[sources]]
kind = "$proto"
bind = "127.0.0.1:0"
buffers = 1024
[sinks]
uri = "$proto://127.0.0.1:{$sink_port+p}"
datagram_bytes = $out_datagram
TOML
  rm -f "$work/router.ready"
  "$shardgate" run --config "$work/router.toml" --ready-file "$work/router.ready" \
    --summary-json "$work/router.json" --quiet >"$work/router.out" 2>&1 &
  router_pid=$!
  for _ in $(seq 1 200); do [ -f "$work/router.ready" ] && break; sleep 0.05; done
  in_port=$(head -1 "$work/router.ready")
  "$gen" "--$proto" "127.0.0.1:$in_port" --records "$records" --datagram-bytes "$datagram" --keys 1000 \
    --seed "$r" --summary-json "$work/gen.json" >/dev/null 2>&1
  sleep 0.5
  kill -TERM "$router_pid"; wait "$router_pid"
  wait "$sink_pid"
  got=$(json_num "$work/sink.json" total)
  rate=$(json_num "$work/sink.json" records_per_s)
  r_in=$(json_num "$work/router.json" records_in)
  printf 'shardgate run %d: router took in %s, sink received %s of %s records at %.2f M records/s\n' "$r" \
    "$r_in" "$got" "$records" "$(calc "${rate:-0} / 1000000")"
  best_router=$(max "${rate:-0}" "$best_router")
done
printf '\nloopback %s, 40-byte records, %d-byte datagrams in (%d out of shardgate), 16 partitions, best of %d:\n' \
  "$proto" "$datagram" "$out_datagram" "$repeats"
printf '  ceiling (gen -> sink):             %8.2f M records/s\n' "$(calc "$best_ceiling / 1000000")"
printf '  through shardgate (gen -> sg -> sink): %5.2f M records/s\n' "$(calc "$best_router / 1000000")"
printf '  ratio:                             %8.1f %%\n' "$(calc "100 * $best_router / ($best_ceiling + 1e-9)")"
