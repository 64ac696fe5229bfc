# Shell helpers shared by the loopback scripts (demo, integration and stress
# tests, the loopback benchmark). Source it; it defines functions only.

# json_num FILE KEY: the first number value of "KEY": in a one-line JSON file.
json_num() { grep -o "\"$2\":[0-9.e+-]*" "$1" | head -1 | cut -d: -f2; }
# json_str FILE KEY: the first string value of "KEY": (letters, digits, _).
json_str() { grep -o "\"$2\":\"[A-Za-z0-9_]*\"" "$1" | head -1 | cut -d\" -f4; }
# json_array FILE KEY: the elements of the first array of numbers "KEY":[...], comma-separated.
json_array() { grep -o "\"$2\":\[[0-9,]*\]" "$1" | head -1 | sed 's/.*\[\(.*\)\]/\1/'; }

# wait_file FILE PID: waits up to 10 s for FILE while PID lives; 0 when it appeared.
wait_file() {
  local _
  for _ in $(seq 1 200); do
    [ -f "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  [ -f "$1" ]
}

# start_sink SINK DIR PROTO PARTITIONS [ARGS...]: starts shardgate-sink on a
# free run of PARTITIONS ports from a random base, retrying when a port is
# taken (the sink exits 3). Sets sink_pid and sink_port; writes DIR/sink.json,
# DIR/sink.out, DIR/sink.err. Returns 1 (sink_pid empty) when it cannot start.
start_sink() {
  local bin=$1 dir=$2 proto=$3 partitions=$4 attempt rc
  shift 4
  sink_pid=""
  for attempt in 1 2 3 4 5 6 7 8; do
    sink_port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    rm -f "$dir/sink.ready"
    "$bin" "--$proto" "127.0.0.1:$sink_port" --partitions "$partitions" --ready-file "$dir/sink.ready" \
      --summary-json "$dir/sink.json" "$@" >"$dir/sink.out" 2>"$dir/sink.err" &
    sink_pid=$!
    wait_file "$dir/sink.ready" "$sink_pid" && return 0
    wait "$sink_pid"
    rc=$?
    sink_pid=""
    [ "$rc" -eq 3 ] || return 1
  done
  return 1
}

# trade_format_toml FORMAT MAX_RECORD_BYTES: the [format] table of the bundled
# trade record (docs/record-formats.md) for fixed, csv or ndjson.
trade_format_toml() {
  case $1 in
    fixed) cat <<EOF
[format]
kind = "fixed"
record_size = 40
source_partition_field = "source"
sequence_field = "seq"
fields = [
  { name = "seq", type = "u64", offset = 0 },
  { name = "source", type = "u32", offset = 8 },
  { name = "symbol", type = "str", offset = 12, size = 12 },
  { name = "trader_id", type = "u64", offset = 24 },
  { name = "price", type = "i64", offset = 32 },
]
EOF
    ;;
    csv) cat <<EOF
[format]
kind = "csv"
max_record_bytes = $2
source_partition_field = "source"
sequence_field = "seq"
fields = [
  { name = "seq", type = "int" },
  { name = "source", type = "int" },
  { name = "symbol", type = "str" },
  { name = "trader_id", type = "int" },
  { name = "price", type = "int" },
]
EOF
    ;;
    ndjson) cat <<EOF
[format]
kind = "ndjson"
max_record_bytes = $2
source_partition_field = "source"
sequence_field = "seq"
EOF
    ;;
  esac
}
