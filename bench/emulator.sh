#!/usr/bin/env bash
# Emulator throughput and memory: plain 200 chat completions at concurrency 64.
#
#   bench/emulator.sh            # ~10 s with oha (or wrk)
#   DURATION=30 CONC=128 bench/emulator.sh
#
# Uses `oha` if installed, else `wrk`; with neither it tries `cargo install oha --locked`,
# then `apt-get install -y wrk`. Prints requests/s and the emulator's peak RSS (VmHWM from
# /proc). Target (issue #3): >= 20,000 requests/s and RSS < 30 MB on the 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

DURATION=${DURATION:-10}
CONC=${CONC:-64}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"

tool=""
if command -v oha >/dev/null; then
  tool=oha
elif command -v wrk >/dev/null; then
  tool=wrk
elif cargo install oha --locked >/dev/null 2>&1 && command -v oha >/dev/null; then
  tool=oha
elif apt-get install -y wrk >/dev/null 2>&1 && command -v wrk >/dev/null; then
  tool=wrk
else
  echo "bench: neither oha nor wrk is available" >&2
  exit 1
fi

cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/ratedoctor"

BIG=1000000000000
"$BIN" mock --rpm "$BIG" --tpm "$BIG" --rpd "$BIG" --tpd "$BIG" --seed 1 >"$OUT/mock.out" 2>"$OUT/mock.err" &
PID=$!
PIDS+=($PID)
BASE=$(url_from "$OUT/mock.out")
URL="$BASE/v1/chat/completions"
BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"How many requests per second can you take?"}],"max_tokens":16}'

rss_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PID/status"; }
idle_rss=$(rss_kb VmRSS)

echo "tool: $tool, ${DURATION}s at concurrency $CONC, POST $URL"
if [ "$tool" = oha ]; then
  oha -z "${DURATION}s" -c "$CONC" --no-tui -m POST \
    -H 'authorization: Bearer sk-bench' -H 'content-type: application/json' -d "$BODY" \
    "$URL" >"$OUT/load.txt"
  rps=$(awk '/Requests\/sec:/ {print $2; exit}' "$OUT/load.txt")
  statuses=$(sed -n '/Status code distribution/,$p' "$OUT/load.txt" | tr '\n' ' ')
else
  post_lua "$OUT/post.lua" "$BODY" sk-bench
  wrk -t 2 -c "$CONC" -d "${DURATION}s" -s "$OUT/post.lua" "$URL" >"$OUT/load.txt"
  rps=$(awk '/Requests\/sec:/ {print $2; exit}' "$OUT/load.txt")
  statuses=$(grep -E 'Non-2xx|Socket errors' "$OUT/load.txt" | tr '\n' ' ' || true)
fi

peak_rss=$(rss_kb VmHWM)
state=$(curl -s "$BASE/_mock/state" 2>/dev/null | head -c 300 || true)
cat "$OUT/load.txt"
echo
echo "requests/s: $rps"
echo "errors: ${statuses:-none reported}"
echo "RSS idle: $((idle_rss / 1024)) MB; peak RSS (VmHWM): $((peak_rss / 1024)) MB ($peak_rss kB)"
echo "state: $state"
kill -TERM "$PID"
wait "$PID" || true
