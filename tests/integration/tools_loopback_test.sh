#!/usr/bin/env bash
# shardgate-gen -> shardgate-sink straight over loopback (no router): every
# format over UDP and TCP must pass the sink's verification with exact counts;
# a key split over two ports must fail the locality check; malformed records
# must be counted by reason exactly as the generator reports them; a slow TCP
# sink must lose nothing; pcap and file outputs verify like sockets.
#
# usage: tools_loopback_test.sh SHARDGATE_GEN SHARDGATE_SINK
# Ports: SHARDGATE_TEST_PORT_BASE if set, else random; a sink that cannot
# bind (exit 3) is retried on other ports, so parallel tests do not clash.
set -uo pipefail

gen=${1:?usage: $0 SHARDGATE_GEN SHARDGATE_SINK}
sink=${2:?usage: $0 SHARDGATE_GEN SHARDGATE_SINK}
work=$(mktemp -d /tmp/shardgate-tools-loopback.XXXXXX)
sink_pid=""
cleanup() {
  if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
cases=0
fail() { echo "FAIL [$case_name]: $*"; failures=$((failures + 1)); }

# json_num FILE KEY: the first integer value of "KEY": in a one-line JSON file.
json_num() { grep -o "\"$2\":[0-9]*" "$1" | head -1 | cut -d: -f2; }

next_port() {
  if [ -n "${SHARDGATE_TEST_PORT_BASE:-}" ]; then
    port=$((SHARDGATE_TEST_PORT_BASE + attempt * 16))
  else
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
  fi
}

# run_case NAME PROTO WANT_RC SINK_ARGS... -- GEN_ARGS...
# Starts the sink on free ports, waits for its ready file, runs the
# generator at the same ports, and checks the sink's exit code. Leaves
# $work/NAME.sink.json and $work/NAME.gen.json for further checks.
run_case() {
  case_name=$1; local proto=$2 want=$3; shift 3
  local sink_args=() gen_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do sink_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  gen_args=("$@")
  cases=$((cases + 1))
  local ready="$work/$case_name.ready" rc=0
  for attempt in 0 1 2 3 4 5 6 7; do
    next_port
    rm -f "$ready"
    "$sink" "--$proto" "127.0.0.1:$port" --ready-file "$ready" --summary-json "$work/$case_name.sink.json" \
      --timeout 60 "${sink_args[@]}" >"$work/$case_name.sink.out" 2>"$work/$case_name.sink.err" &
    sink_pid=$!
    for _ in $(seq 1 200); do
      [ -f "$ready" ] && break
      kill -0 "$sink_pid" 2>/dev/null || break
      sleep 0.05
    done
    if [ -f "$ready" ]; then break; fi
    wait "$sink_pid"; rc=$?; sink_pid=""
    if [ "$rc" -ne 3 ]; then
      fail "sink exited $rc before listening: $(cat "$work/$case_name.sink.err")"
      return
    fi
  done
  if [ -n "$sink_pid" ] && [ ! -f "$ready" ]; then fail "sink never became ready"; return; fi
  if ! "$gen" "--$proto" "127.0.0.1:$port" --summary-json "$work/$case_name.gen.json" "${gen_args[@]}" \
      >"$work/$case_name.gen.out" 2>"$work/$case_name.gen.err"; then
    fail "generator failed: $(cat "$work/$case_name.gen.err")"
  fi
  wait "$sink_pid"; rc=$?; sink_pid=""
  if [ "$rc" -ne "$want" ]; then
    fail "sink exit $rc, expected $want: $(cat "$work/$case_name.sink.out" "$work/$case_name.sink.err")"
    return
  fi
  echo "ok   [$case_name] sink exit $rc: $(grep -o '"verdict":"[a-z]*","format":"[a-z]*","total":[0-9]*' "$work/$case_name.sink.json")"
}

expect_pass() { # NAME TOTAL: verdict pass and exact total
  grep -q '"verdict":"pass"' "$work/$1.sink.json" || fail "verdict is not pass"
  [ "$(json_num "$work/$1.sink.json" total)" = "$2" ] || fail "total $(json_num "$work/$1.sink.json" total), expected $2"
}

# Loopback networking is a precondition: without it, skip (exit 77) and say why.
preflight() {
  local rc=3
  for attempt in 0 1 2 3 4; do
    next_port
    "$sink" --udp "127.0.0.1:$port" --partitions 1 --timeout 0.05 >/dev/null 2>"$work/preflight.err"
    rc=$?
    [ "$rc" -ne 3 ] && return 0
  done
  echo "SKIP: cannot listen on 127.0.0.1: $(cat "$work/preflight.err")"
  exit 77
}
preflight

n=20000
for fmt in fixed csv ndjson; do
  for proto in udp tcp; do
    # two ports, no locality key: per-partition order, duplicates, counts, gaps
    run_case "$proto-$fmt" "$proto" 0 --partitions 2 --format "$fmt" --expect $n -- \
      --ports 2 --format "$fmt" --records $n --keys 500 --sources 3 --rate 400000 --seed 7
    expect_pass "$proto-$fmt" $n
  done
done

# a single port with the locality check on: passes
run_case udp-key-symbol udp 0 --partitions 1 --key symbol --expect $n -- --records $n --dist zipf --rate 400000
expect_pass udp-key-symbol $n
# text datagrams whose last record omits its newline
run_case udp-csv-no-final-newline udp 0 --partitions 1 --format csv --expect $n -- \
  --format csv --records $n --no-final-newline --datagram-bytes 9000 --rate 400000
expect_pass udp-csv-no-final-newline $n

# GSO trains (the sink takes them whole with UDP_GRO, or the kernel splits them)
for fmt in fixed csv; do
  run_case "udp-gso-$fmt" udp 0 --partitions 2 --format "$fmt" --key symbol --expect $n -- \
    --ports 1 --format "$fmt" --records $n --gso 16 --malformed-every 0 --rate 400000
  expect_pass "udp-gso-$fmt" $n
done

# wrong locality: every symbol reaches both ports; the sink must fail on it
for proto in udp tcp; do
  run_case "$proto-split-keys" "$proto" 1 --partitions 2 --key symbol --expect $n -- \
    --ports 2 --records $n --keys 100 --rate 400000
  locality=$(json_num "$work/$proto-split-keys.sink.json" locality)
  [ "${locality:-0}" -gt 0 ] || fail "no locality violation reported"
  [ "$(json_num "$work/$proto-split-keys.sink.json" split_keys)" = 100 ] || fail "expected all 100 keys split"
done

# malformed records: the sink counts each reason exactly as the generator sent it
for fmt in fixed csv ndjson; do
  run_case "udp-malformed-$fmt" udp 1 --partitions 1 --format "$fmt" --expect $n -- \
    --format "$fmt" --records $n --malformed-every 10 --rate 400000
  g="$work/udp-malformed-$fmt.gen.json" s="$work/udp-malformed-$fmt.sink.json"
  for reason in truncated syntax missing_key oversized; do
    [ "$(json_num "$s" "malformed_$reason")" = "$(json_num "$g" "$reason")" ] ||
      fail "malformed_$reason: sink $(json_num "$s" "malformed_$reason"), generator $(json_num "$g" "$reason")"
  done
  [ "$(json_num "$s" valid)" = "$(json_num "$g" valid)" ] || fail "valid records differ"
done

# a slow TCP sink exerts backpressure: the generator blocks, nothing is lost
# (small socket buffers on both ends so the 8 MB stream cannot hide in them)
run_case tcp-slow-sink tcp 0 --partitions 1 --expect 200000 --slow-us 2000 --read-bytes 16384 --rcvbuf 65536 -- \
  --records 200000 --tcp-chunk-bytes 65536 --sndbuf 65536
expect_pass tcp-slow-sink 200000
grep -q '"drained":true' "$work/tcp-slow-sink.gen.json" || fail "generator did not see the sink drain and close"
echo "     generator paced by the slow sink: $(grep -o '"records_per_s":[0-9]*' "$work/tcp-slow-sink.gen.json")"

# pcap and file outputs verify like sockets; same flags give the same bytes
cases=$((cases + 1)); case_name=pcap-and-files
"$gen" --pcap "$work/a.pcap" --records $n --ports 2 --seed 5 >/dev/null || fail "gen --pcap failed"
"$gen" --pcap "$work/b.pcap" --records $n --ports 2 --seed 5 >/dev/null || fail "gen --pcap failed"
"$gen" --pcap "$work/c.pcap" --records $n --ports 2 --seed 6 >/dev/null || fail "gen --pcap failed"
cmp -s "$work/a.pcap" "$work/b.pcap" || fail "same seed gave different pcap files"
cmp -s "$work/a.pcap" "$work/c.pcap" && fail "different seeds gave identical pcap files"
"$sink" --pcap "$work/a.pcap" --expect $n --key symbol >"$work/pcap.json" || fail "sink --pcap: $(cat "$work/pcap.json")"
# one payload byte flipped in the first frame: a bad UDP checksum, reported as bad_frame
cp "$work/a.pcap" "$work/bad.pcap"
printf '\377' | dd of="$work/bad.pcap" bs=1 seek=$((24 + 16 + 14 + 20 + 8 + 3)) conv=notrunc status=none
"$sink" --pcap "$work/bad.pcap" >"$work/badpcap.json"
[ $? -eq 1 ] && grep -q '"bad_frame":1' "$work/badpcap.json" || fail "corrupted frame not reported: $(cat "$work/badpcap.json")"
"$gen" --file "$work/a.ndjson" --format ndjson --records $n >/dev/null || fail "gen --file failed"
"$sink" --files "$work/a.ndjson" --format ndjson --expect $n --key symbol >"$work/files.json" ||
  fail "sink --files: $(cat "$work/files.json")"
"$sink" --files "$work/a.ndjson,$work/a.ndjson" --format ndjson >"$work/files2.json"
[ $? -eq 1 ] && grep -q '"duplicate":[1-9]' "$work/files2.json" || fail "the same records in two partitions were not duplicates"
echo "ok   [$case_name]"

# bad flags: exit 2 with a message naming the flag
cases=$((cases + 1)); case_name=usage
"$gen" --udp 127.0.0.1:9 --records 0 2>"$work/u1" >/dev/null; [ $? -eq 2 ] && grep -q -- '--records' "$work/u1" ||
  fail "gen --records 0: $(cat "$work/u1")"
"$sink" --udp 127.0.0.1:9 --tcp 127.0.0.1:9 --partitions 1 2>"$work/u2" >/dev/null; [ $? -eq 2 ] ||
  fail "sink with two modes: $(cat "$work/u2")"
"$sink" --files x --key sym 2>"$work/u3" >/dev/null; [ $? -eq 2 ] && grep -q "unknown column 'sym'" "$work/u3" ||
  fail "sink --key sym: $(cat "$work/u3")"
echo "ok   [$case_name]"

# a ready file left by an earlier run goes at start, before the sink
# listens: here the bind fails (TEST-NET-1 is no address of this host), and
# the stale file must not be left to tell a script the sink is up
cases=$((cases + 1)); case_name=stale-ready-file
echo stale >"$work/stale.ready"
"$sink" --udp 192.0.2.1:9 --partitions 1 --ready-file "$work/stale.ready" --timeout 2 >/dev/null 2>"$work/stale.err"
rc=$?
[ "$rc" -ne 0 ] || fail "sink bound TEST-NET-1: $(cat "$work/stale.err")"
[ ! -e "$work/stale.ready" ] || fail "the stale ready file is still there after a failed start (exit $rc)"
# and a symlink at the staging name is replaced, not written through
echo precious >"$work/victim"
ln -s "$work/victim" "$work/files.ready.tmp"
"$sink" --files "$work/a.ndjson" --format ndjson --ready-file "$work/files.ready" >/dev/null ||
  fail "sink --files with a ready file failed"
[ "$(cat "$work/victim")" = precious ] || fail "the ready file was written through a symlink at its staging name"
[ "$(cat "$work/files.ready" 2>/dev/null)" = ready ] || fail "no ready file after a symlinked staging name"
echo "ok   [$case_name]"

echo "$cases cases, $failures failures"
[ "$failures" -eq 0 ]
