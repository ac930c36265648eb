#!/usr/bin/env bash
# The live view under load (issue #6): `ratedoctor demo --load` in a real terminal (tmux) for
# DURATION seconds with thousands of events a second; prints events/s, peak RSS and CPU.
#
#   bash bench/demo.sh            (DURATION=60 by default; needs tmux and GNU time)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DURATION="${DURATION:-60}"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
cargo build --release -q
rm -f "$OUT/demo-time.txt" "$OUT/demo-screen.txt"
SESSION="rd-bench-$$"
tmux new-session -d -s "$SESSION" -x 120 -y 40 \
  "/usr/bin/time -v -o '$OUT/demo-time.txt' '$ROOT/target/release/ratedoctor' demo --load --duration $DURATION; sleep 30"
sleep "$((DURATION / 2))"
tmux capture-pane -p -t "$SESSION" > "$OUT/demo-screen.txt"
for _ in $(seq 1 $((DURATION + 60))); do
  [ -s "$OUT/demo-time.txt" ] && break
  sleep 1
done
sleep 1
tmux capture-pane -p -t "$SESSION" -S -60 > "$OUT/demo-summary.txt"
tmux kill-session -t "$SESSION" 2>/dev/null || true
wall=$(grep "Elapsed (wall clock)" "$OUT/demo-time.txt" | awk '{print $NF}')
user=$(grep "User time" "$OUT/demo-time.txt" | awk '{print $NF}')
sys=$(grep "System time" "$OUT/demo-time.txt" | awk '{print $NF}')
rss=$(grep "Maximum resident" "$OUT/demo-time.txt" | awk '{print $NF}')
header=$(head -2 "$OUT/demo-screen.txt" | tr -s ' ' | tr '\n' ' ')
requests=$(grep -m1 -E "^ *requests" "$OUT/demo-summary.txt" | tr -s ' ' || true)
echo "| measure | value | target |"
echo "|---|---|---|"
echo "| run | demo --load in tmux 120x40, ${DURATION} s, $(nproc) cores | |"
echo "| screen at half time | ${header//|/\\|} | |"
echo "| wall / user / sys | ${wall} / ${user} s / ${sys} s (emulator, proxy, workload and UI in one process) | |"
echo "| summary after quitting | ${requests} (about 3 events a request) | >= 2,000 events/s |"
echo "| peak RSS | $((rss / 1024)) MB | < 80 MB |"
