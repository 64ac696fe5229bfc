#!/usr/bin/env bash
# Bad input to the shardgate command gets a precise message and exit 2,
# before anything runs: unreadable files, a join source naming no input of
# the query, a sink looping into the router's own source, an unwritable
# summary or ready file, a routing key the format lacks; and both flag
# spellings. One short run checks that a stale ready file is replaced and a
# symlink at its staging name is not written through; another, watched with
# inotify, that the ready file's name only ever appears by a rename (whole,
# once the router is ready), never created or written in place.
#
# usage: cli_errors_test.sh SHARDGATE
set -uo pipefail
shardgate=${1:?usage: $0 SHARDGATE}
examples="$(cd "$(dirname "$0")/../../examples" && pwd)"
work=$(mktemp -d /tmp/shardgate-cli.XXXXXX)
watcher=""
trap '[ -n "$watcher" ] && kill "$watcher" 2>/dev/null; rm -rf "$work"' EXIT
failures=0

# expect NAME WANT_RC NEEDLE -- COMMAND...: exit code and a substring of stderr.
expect() {
  local name=$1 want=$2 needle=$3
  shift 4
  local out rc
  out=$("$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne "$want" ] || ! grep -qF -- "$needle" <<<"$out"; then
    echo "FAIL [$name]: exit $rc (want $want), stderr: $out (want: $needle)"
    failures=$((failures + 1))
  else
    echo "ok   [$name] $out"
  fi
}

cp "$examples/demo.toml" "$examples/query.sql" "$work/"

expect explain-directory 2 "is a directory" -- "$shardgate" explain "$work"
expect check-query-directory 2 "is a directory" -- "$shardgate" check --config "$work/demo.toml" --query "$work"
expect check-flag-equals 0 "" -- "$shardgate" check --config="$work/demo.toml"

sed 's/^name = "trades"/name = "trades"\nstream = "qoutes"/' "$work/demo.toml" >"$work/join.toml"
echo "SELECT t.symbol, COUNT(*) FROM trades t JOIN quotes q ON t.symbol = q.symbol WITHIN INTERVAL '1' SECOND GROUP BY t.symbol" >"$work/join.sql"
expect join-stream-typo 2 "stream 'qoutes' is not an input of the query; expected one of: trades (t), quotes (q)" -- \
  "$shardgate" check --config "$work/join.toml" --query "$work/join.sql"

sed 's|^uri = .*|uri = "udp://127.0.0.1:{6993+p}"|' "$work/demo.toml" >"$work/loop.toml"
expect sink-loops-into-source 2 "records would loop back into the router" -- "$shardgate" check --config "$work/loop.toml"

echo "SELECT venue, COUNT(*) FROM trades GROUP BY venue" >"$work/venue.sql"
expect key-field-missing 2 "[format] declares: seq, source, symbol, trader_id, price" -- \
  "$shardgate" check --config "$work/demo.toml" --query "$work/venue.sql"

expect summary-unwritable 2 "cannot write '/nonexistent/dir/s.json'" -- \
  "$shardgate" run --config "$work/demo.toml" --duration 1 --summary-json /nonexistent/dir/s.json

# The ready file: checked before the run, never created before it is whole.
mkdir "$work/empty-dir"
expect ready-file-directory 2 "cannot replace the ready file '$work/empty-dir': Is a directory" -- \
  "$shardgate" run --config "$work/demo.toml" --duration 1 --ready-file "$work/empty-dir"
[ -d "$work/empty-dir" ] || { echo "FAIL [ready-file-directory]: the directory was removed"; failures=$((failures + 1)); }
expect ready-file-unwritable 2 "cannot write '/nonexistent/dir/r.ready.tmp' (the ready file '/nonexistent/dir/r.ready' is written there first)" -- \
  "$shardgate" run --config "$work/demo.toml" --duration 1 --ready-file /nonexistent/dir/r.ready

# A ready file left by an earlier run is replaced by this run's bound port,
# and a symlink at the staging name is replaced, not written through.
sed 's|^bind = .*|bind = "127.0.0.1:0"|' "$work/demo.toml" >"$work/any-port.toml"
echo stale >"$work/r.ready"
echo precious >"$work/victim"
ln -s "$work/victim" "$work/r.ready.tmp"
expect ready-file-stale 0 "" -- \
  "$shardgate" run --config "$work/any-port.toml" --duration 0.2 --quiet --ready-file "$work/r.ready"
if ! grep -qE '^[0-9]+$' "$work/r.ready" || [ -e "$work/r.ready.tmp" ] || [ "$(cat "$work/victim")" != precious ]; then
  echo "FAIL [ready-file-stale]: ready file holds '$(cat "$work/r.ready")', victim holds '$(cat "$work/victim")', files: $(ls "$work")"
  failures=$((failures + 1))
fi

# Scripts poll for the ready file: its name must never exist before the
# router is ready, not even empty for a moment. inotify sees every event on
# the name; the only one allowed is the rename that puts it in place.
mkdir "$work/watched"
command -v inotifywait >/dev/null ||
  echo "cli_errors: inotifywait is missing (Debian package inotify-tools; scripts/install-deps installs it)" >&2
inotifywait -m -e create,open,modify,close_write,moved_to,delete --format '%e %f' "$work/watched" \
  >"$work/events" 2>"$work/watch.log" &
watcher=$!
for _ in $(seq 1 100); do
  grep -q "Watches established" "$work/watch.log" && break
  sleep 0.05
done
expect ready-file-watched 0 "" -- \
  "$shardgate" run --config "$work/any-port.toml" --duration 0.2 --quiet --ready-file "$work/watched/r.ready"
sleep 0.2 # inotifywait prints what it has read
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
in_place=$(grep -E ' r\.ready$' "$work/events" | grep -v '^MOVED_TO ' | tr '\n' ';')
if ! grep -q "Watches established" "$work/watch.log" || ! grep -qx 'MOVED_TO r.ready' "$work/events" ||
  [ -n "$in_place" ]; then
  echo "FAIL [ready-file-whole]: events on the ready file's name other than its rename into place:" \
    "'${in_place}'; all events: $(tr '\n' ';' <"$work/events"); watcher: $(cat "$work/watch.log")"
  failures=$((failures + 1))
else
  echo "ok   [ready-file-whole] $(grep -c . "$work/events") events in the directory, the ready file's name only renamed into place"
fi

[ "$failures" -eq 0 ]
