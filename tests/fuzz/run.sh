#!/usr/bin/env bash
# Builds the SQL front end's libFuzzer target in BUILD_DIR (configured with
# CXX=clang++ -Dfuzz=true, as ./dev does) and fuzzes parse + plan for SECONDS,
# seeded with the query corpus (tests/corpus/queries), the bundled example
# query and tests/fuzz/seeds. Fails on any crash, leak, timeout (10 s per
# input), out-of-memory (2 GiB) or sanitizer report.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail

if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]] || [ "$2" -eq 0 ]; then
  echo "usage: tests/fuzz/run.sh BUILD_DIR SECONDS (SECONDS a positive integer)" >&2
  exit 2
fi
build=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

meson compile -C "$build" -j 2 shardgate-sql-fuzz >/dev/null
target="$build/tests/fuzz/shardgate-sql-fuzz"

work="$build/fuzz-sql"
rm -rf "$work/seeds" "$work/artifacts"
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"
cp "$root"/tests/corpus/queries/*.sql "$root"/examples/query.sql "$here"/seeds/* "$work/seeds/"

# Sanitizer findings abort the run; leaks are checked after every input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

echo "fuzz: shardgate-sql-fuzz for ${seconds}s (log: $work/fuzz.log)"
status=0
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -dict="$here/sql.dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
  "$work/corpus" "$work/seeds" >"$work/fuzz.log" 2>&1 || status=$?

if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
  echo "fuzz: FAILED (exit status $status); the input that failed is in $work/artifacts:" >&2
  ls -l "$work/artifacts" >&2 || true
  tail -n 60 "$work/fuzz.log" >&2
  exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
cov=$(grep -o 'cov: [0-9]*' "$work/fuzz.log" | tail -n 1 || true)
echo "fuzz: ok, ${runs:-?} inputs in ${seconds}s (${cov:-cov: ?}), no crash, leak or timeout"
