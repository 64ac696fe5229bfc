#!/usr/bin/env bash
# shardgate-gen -> shardgate -> shardgate-sink over loopback. Each case writes
# a config, starts the sink and the router, sends generated trades, stops the
# router with SIGTERM once the generator is done, and passes only when
#   - the sink's own verification passes (no key in two partitions where the
#     strategy promises locality, per-(source, symbol) order in every
#     partition, every record well formed),
#   - the router's counts reconcile exactly (in = out + dropped + rejected),
#   - the sink received exactly what the router delivered, and over TCP
#     exactly what the generator sent (lossless),
#   - strategy-specific checks hold (fan_in: everything on the target).
#
# usage: router_loopback_test.sh SHARDGATE GEN SINK GROUP
#   GROUP: fixed | csv | ndjson (every strategy over UDP and TCP in that
#   format), or special (malformed records, slow TCP sink, SIGTERM mid-run,
#   expression keys, dead-letter file, smart_repartition fast path, SIGHUP
#   reprogramming).
set -uo pipefail

shardgate=${1:?usage: $0 SHARDGATE GEN SINK GROUP}
gen=${2:?}
sink=${3:?}
group=${4:?}
work=$(mktemp -d /tmp/shardgate-router-test.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$failures" -eq 0 ]; then rm -rf "$work"; else echo "logs kept in $work"; fi
}
failures=0
cases=0
trap cleanup EXIT

fail() { echo "FAIL [$case_name]: $*"; failures=$((failures + 1)); }
# shellcheck source=../../scripts/lib/loopback.sh
. "$(dirname "$0")/../../scripts/lib/loopback.sh"
# run_case NAME FORMAT PROTO QUERY SINK_KEY RECORDS [option=value...]
# options: rate= gen_args= sink_args= router_toml= extra_toml= partitions=
#          expect_target= (fan_in partition) kill_after= (SIGTERM mid-run, seconds)
#          blocks= (ring_blocks) sink_proto= (udp|tcp) dead_letter=1
run_case() {
  case_name=$1; local fmt=$2 proto=$3 query=$4 key=$5 records=$6; shift 6
  local rate=0 gen_args="" sink_args="" router_toml="" extra_toml="" partitions=4 expect_target=""
  local kill_after="" blocks=64 sink_proto=$proto dead_letter=""
  for kv in "$@"; do
    case $kv in
      rate=*) rate=${kv#rate=} ;;
      gen_args=*) gen_args=${kv#gen_args=} ;;
      sink_args=*) sink_args=${kv#sink_args=} ;;
      router_toml=*) router_toml=${kv#router_toml=} ;;
      extra_toml=*) extra_toml=${kv#extra_toml=} ;;
      partitions=*) partitions=${kv#partitions=} ;;
      expect_target=*) expect_target=${kv#expect_target=} ;;
      kill_after=*) kill_after=${kv#kill_after=} ;;
      blocks=*) blocks=${kv#blocks=} ;;
      sink_proto=*) sink_proto=${kv#sink_proto=} ;;
      dead_letter=*) dead_letter=${kv#dead_letter=} ;;
    esac
  done
  cases=$((cases + 1))
  local d="$work/$case_name"
  mkdir -p "$d"
  printf '%s\n' "$query" >"$d/query.sql"

  # The sink first, on free ports.
  local port rc
  # shellcheck disable=SC2086
  start_sink "$sink" "$d" "$sink_proto" "$partitions" --format "$fmt" ${key:+--key "$key"} --idle-timeout 1 \
    --timeout 120 --max-record-bytes 1024 $sink_args || { fail "sink did not start: $(cat "$d/sink.err")"; return; }
  port=$sink_port
  pids+=("$sink_pid")

  local dlq_line=""
  [ -n "$dead_letter" ] && dlq_line="dead_letter = \"file://$d/dead.bin\""
  cat >"$d/router.toml" <<EOF
[router]
partitions = $partitions
dataplane_cpus = [-1]
egress_cpus = [-1]
ring_blocks = $blocks
query_file = "query.sql"
stats_interval_ms = 0
$router_toml

$(trade_format_toml "$fmt" 1024)

[[sources]]
name = "in"
kind = "$proto"
bind = "127.0.0.1:0"

[sinks]
uri = "$sink_proto://127.0.0.1:{$port+p}"
datagram_bytes = 8192
$dlq_line
$extra_toml
EOF
  rm -f "$d/router.ready"
  "$shardgate" run --config "$d/router.toml" --ready-file "$d/router.ready" --summary-json "$d/router.json" \
    --drain-timeout 20000 >"$d/router.out" 2>"$d/router.err" &
  local router_pid=$!
  pids+=("$router_pid")
  for _ in $(seq 1 200); do
    [ -f "$d/router.ready" ] && break
    kill -0 "$router_pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ ! -f "$d/router.ready" ]; then
    fail "router did not start: $(cat "$d/router.err" "$d/router.out")"
    kill "$sink_pid" 2>/dev/null
    return
  fi
  local in_port
  in_port=$(head -1 "$d/router.ready")

  local gen_rc=0
  if [ -n "$kill_after" ]; then
    # shellcheck disable=SC2086
    "$gen" "--$proto" "127.0.0.1:$in_port" --format "$fmt" --records "$records" --rate "$rate" \
      --datagram-bytes 8000 --keys 200 --sources 4 --seed 7 --summary-json "$d/gen.json" $gen_args \
      >"$d/gen.out" 2>"$d/gen.err" &
    local gen_pid=$!
    sleep "$kill_after"
    kill -TERM "$router_pid"
    wait "$gen_pid" # the router went away mid-stream: the generator may fail, that is expected
  else
    # shellcheck disable=SC2086
    "$gen" "--$proto" "127.0.0.1:$in_port" --format "$fmt" --records "$records" --rate "$rate" \
      --datagram-bytes 8000 --keys 200 --sources 4 --seed 7 --summary-json "$d/gen.json" $gen_args \
      >"$d/gen.out" 2>"$d/gen.err" || { gen_rc=$?; fail "generator exited $gen_rc: $(cat "$d/gen.err")"; }
    sleep 0.3
    kill -TERM "$router_pid"
  fi
  wait "$router_pid"; rc=$?
  [ "$rc" -eq 0 ] || fail "router exited $rc: $(tail -5 "$d/router.err" "$d/router.out")"
  wait "$sink_pid"; local sink_rc=$?
  [ -f "$d/router.json" ] || { fail "no router summary"; return; }
  [ -f "$d/sink.json" ] || { fail "no sink summary: $(cat "$d/sink.err")"; return; }

  local r_in r_out r_rejected got verdict sent valid
  r_in=$(json_num "$d/router.json" records_in)
  r_out=$(json_num "$d/router.json" records_out)
  r_rejected=$(json_num "$d/router.json" records_rejected)
  got=$(json_num "$d/sink.json" total)
  verdict=$(json_str "$d/sink.json" verdict)
  sent=$(json_num "$d/gen.json" records)
  valid=$(json_num "$d/gen.json" valid)
  [ "$(json_str "$d/router.json" reconciled)" = "" ] && true
  grep -q '"reconciled":true' "$d/router.json" || fail "router counts do not reconcile: $(cat "$d/router.json")"
  [ "$sink_rc" -eq 0 ] && [ "$verdict" = "pass" ] || fail "sink verdict $verdict (exit $sink_rc): $(head -c 2000 "$d/sink.json")"
  [ "$got" = "$r_out" ] || fail "sink received $got records, the router delivered $r_out"
  if [ "$proto" = tcp ] && [ -z "$kill_after" ]; then
    [ "$r_in" = "$sent" ] || fail "TCP: the router took in $r_in records, the generator sent $sent"
    [ "$got" = "$valid" ] || fail "TCP: the sink received $got records, the generator sent $valid valid ones"
  fi
  if [ -n "$expect_target" ]; then
    local per
    per=$(json_array "$d/router.json" partitions)
    local i=0 bad=0
    IFS=, read -ra counts <<<"$per"
    for c in "${counts[@]}"; do
      if [ "$i" -eq "$expect_target" ]; then [ "$c" = "$r_out" ] || bad=1; else [ "$c" = 0 ] || bad=1; fi
      i=$((i + 1))
    done
    [ "$bad" -eq 0 ] || fail "fan_in: partition counts [$per], expected all $r_out on $expect_target"
  fi
  local strategy
  strategy=$(json_str "$d/router.json" strategy)
  echo "ok   [$case_name] $strategy: gen $sent, router in $r_in out $r_out rejected $r_rejected, sink $got ($verdict)"
  last_case_dir=$d
}

group_strategies() { # FORMAT
  local fmt=$1 proto
  for proto in udp tcp; do
    run_case "$fmt-$proto-always_hash" "$fmt" "$proto" \
      "SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol EMIT CHANGES" symbol 200000 rate=400000
    run_case "$fmt-$proto-always_hash-two-keys" "$fmt" "$proto" \
      "SELECT trader_id, symbol, COUNT(*) FROM trades GROUP BY trader_id, symbol WINDOW TUMBLING(trade_time, INTERVAL '60' SECOND) EMIT CHANGES" \
      trader_id,symbol 100000 rate=400000 partitions=5
    run_case "$fmt-$proto-smart_repartition" "$fmt" "$proto" \
      "-- @partitioning_strategy: smart
SELECT symbol, COUNT(*) FROM trades GROUP BY symbol" symbol 100000 rate=400000 \
      "extra_toml=[source_partitioning]
key_columns = [\"symbol\"]
partitioner = \"xxh3\"
partitions = 8"
    run_case "$fmt-$proto-round_robin" "$fmt" "$proto" "SELECT * FROM trades WHERE price > 0" "" 100000 rate=400000
    run_case "$fmt-$proto-sticky_partition" "$fmt" "$proto" "SELECT * FROM trades" source 100000 rate=400000 \
      "router_toml=per_source_order = true"
    run_case "$fmt-$proto-fan_in" "$fmt" "$proto" "SELECT COUNT(*) FROM trades" "" 100000 rate=400000 \
      expect_target=2 "router_toml=fan_in_target = 2"
  done
}

group_special() {
  # Malformed records: every reason counted by the router as the generator
  # injected it, every valid record delivered (TCP: exact; csv has the most reasons).
  for fmt in csv ndjson fixed; do
    local proto=tcp
    [ "$fmt" = fixed ] && proto=udp # truncated records exist only in datagrams
    run_case "malformed-$fmt" "$fmt" "$proto" "SELECT symbol, COUNT(*) FROM trades GROUP BY symbol" symbol 50000 \
      rate=300000 "gen_args=--malformed-every 7" dead_letter=1
    local d=$last_case_dir
    for reason in truncated syntax missing_key oversized; do
      local want have
      want=$(grep -o "\"$reason\":[0-9]*" "$d/gen.json" | head -1 | cut -d: -f2)
      have=$(json_num "$d/router.json" "malformed_$reason")
      [ "${want:-0}" = "${have:-0}" ] || fail "malformed $reason: generator injected ${want:-0}, router counted ${have:-0}"
    done
    local rejected dead
    rejected=$(json_num "$d/router.json" records_rejected)
    dead=$(json_num "$d/router.json" dead_letter_out)
    [ "$rejected" = "$dead" ] || fail "dead letter: $rejected rejected but $dead dead-lettered"
    [ "$rejected" -gt 0 ] || fail "no malformed records were rejected"
  done

  # A slow TCP destination: the router must stop reading and lose nothing.
  run_case "slow-tcp-sink" fixed tcp "SELECT symbol, COUNT(*) FROM trades GROUP BY symbol" symbol 300000 \
    blocks=4 "sink_args=--slow-us 2000 --read-bytes 16384 --rcvbuf 65536" \
    "router_toml=stream_block_bytes = 16384"
  local d=$last_case_dir
  [ "$(json_num "$d/router.json" drop_ring_full)" = 0 ] || fail "slow sink: records were dropped"

  # SIGTERM while records stream in over TCP: everything accepted is delivered.
  run_case "sigterm-mid-run" fixed tcp "SELECT symbol, COUNT(*) FROM trades GROUP BY symbol" symbol 2000000 \
    rate=500000 kill_after=1.5
  d=$last_case_dir
  local r_in
  r_in=$(json_num "$d/router.json" records_in)
  [ "${r_in:-0}" -gt 0 ] && [ "${r_in:-0}" -lt 2000000 ] || fail "SIGTERM: expected a partial run, router took in $r_in"

  # GROUP BY an expression: routed by its value, so a symbol stays on one partition.
  run_case "expression-key" csv udp "SELECT UPPER(symbol), COUNT(*) FROM trades GROUP BY UPPER(symbol)" symbol \
    100000 rate=400000
  # Routing by a computed integer key.
  run_case "arithmetic-key" ndjson tcp "SELECT trader_id % 10, COUNT(*) FROM trades GROUP BY trader_id % 10" \
    trader_id 100000

  # smart_repartition's fast path: sources declare kafka_murmur2 over symbol
  # with P = 8 and the generator puts each record in that partition; N = 4
  # divides 8, so the router routes by source partition without hashing.
  run_case "smart-fast-path" fixed tcp "-- @partitioning_strategy: smart
SELECT symbol, COUNT(*) FROM trades GROUP BY symbol" symbol 200000 \
    "gen_args=--source-by-key kafka_murmur2 --sources 8" "router_toml=hash = \"kafka_murmur2\"" \
    "extra_toml=[source_partitioning]
key_columns = [\"symbol\"]
partitioner = \"kafka_murmur2\"
partitions = 8"
  d=$last_case_dir
  local fast mismatch
  fast=$(json_num "$d/router.json" smart_fast_path)
  mismatch=$(json_num "$d/router.json" smart_mismatch)
  [ "${fast:-0}" -gt 100000 ] || fail "smart fast path: only ${fast:-0} records took it"
  [ "${mismatch:-1}" = 0 ] || fail "smart fast path: $mismatch sampled records contradicted the declared partitioning"
}

# SIGHUP reprograms a running router: the first half of the traffic goes out
# under fan_in (all on partition 1), then the query file changes to a GROUP BY
# and the second half is hashed over every partition. TCP: nothing is lost.
case_reload() {
  case_name=reload-sighup
  cases=$((cases + 1))
  local d="$work/$case_name" port rc
  mkdir -p "$d"
  echo "SELECT COUNT(*) FROM trades" >"$d/query.sql"
  start_sink "$sink" "$d" tcp 4 --format fixed --idle-timeout 20 --timeout 120 --expect 100000 ||
    { fail "sink did not start: $(cat "$d/sink.err")"; return; }
  port=$sink_port
  pids+=("$sink_pid")
  {
    printf '[router]\npartitions = 4\ndataplane_cpus = [-1]\negress_cpus = [-1]\nquery_file = "query.sql"\n'
    printf 'fan_in_target = 1\nstats_interval_ms = 0\n\n'
    trade_format_toml fixed 1024
    printf '\n[[sources]]\nkind = "tcp"\nbind = "127.0.0.1:0"\n\n[sinks]\nuri = "tcp://127.0.0.1:{%d+p}"\n' "$port"
  } >"$d/router.toml"
  "$shardgate" run --config "$d/router.toml" --ready-file "$d/router.ready" --summary-json "$d/router.json" \
    >"$d/router.out" 2>"$d/router.err" &
  local router_pid=$!
  pids+=("$router_pid")
  for _ in $(seq 1 200); do [ -f "$d/router.ready" ] && break; sleep 0.05; done
  [ -f "$d/router.ready" ] || { fail "router did not start: $(cat "$d/router.err")"; return; }
  local in_port
  in_port=$(head -1 "$d/router.ready")
  "$gen" --tcp "127.0.0.1:$in_port" --records 50000 --seed 1 --keys 100 >/dev/null 2>&1 || fail "first generator run failed"
  echo "SELECT symbol, COUNT(*) FROM trades GROUP BY symbol" >"$d/query.sql"
  kill -HUP "$router_pid"
  for _ in $(seq 1 100); do grep -q "reprogrammed" "$d/router.out" && break; sleep 0.05; done
  grep -q "reprogrammed: every core routes with plan epoch 1" "$d/router.out" ||
    fail "no reprogramming acknowledged: $(cat "$d/router.out" "$d/router.err")"
  "$gen" --tcp "127.0.0.1:$in_port" --records 50000 --seed 2 --keys 100 >/dev/null 2>&1 || fail "second generator run failed"
  sleep 0.3
  kill -TERM "$router_pid"
  wait "$router_pid"
  rc=$?
  [ "$rc" -eq 0 ] || fail "router exited $rc"
  wait "$sink_pid"
  local per got
  per=$(json_array "$d/sink.json" per_partition)
  got=$(json_num "$d/sink.json" total)
  [ "$got" = 100000 ] || fail "sink received $got of 100000"
  IFS=, read -ra counts <<<"$per"
  [ "${counts[1]:-0}" -ge 50000 ] || fail "fan_in phase: partition 1 has ${counts[1]:-0}, expected at least 50000"
  [ $(( ${counts[0]:-0} + ${counts[2]:-0} + ${counts[3]:-0} )) -gt 0 ] || fail "hash phase reached only partition 1: [$per]"
  grep -q '"strategy":"always_hash"' "$d/router.json" || fail "the summary does not show the new plan"
  echo "ok   [$case_name] fan_in, then always_hash after SIGHUP: per partition [$per]"
}

case $group in
  fixed | csv | ndjson) group_strategies "$group" ;;
  special) group_special; case_reload ;;
  *) echo "unknown group '$group'" >&2; exit 2 ;;
esac
echo "$cases cases, $failures failures"
[ "$failures" -eq 0 ]
