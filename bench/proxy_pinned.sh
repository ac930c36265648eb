#!/usr/bin/env bash
# Proxy cost when the proxy does not share its CPU with the load (issues #5 and #8): the
# table of bench/proxy.sh made with the load generator and the emulator on CPU 0 and
# `ratedoctor watch` on CPU 1, once with an emulator that answers at once and once with one
# that takes 1 ms (a real provider takes hundreds). Medians of RUNS runs. Writes the
# "proxy-pinned" section of BENCHMARKS.md.
#
# Env: RUNS (default 3), DURATION (s, default 5), BIN (a built binary; default: build).
# Needs 2 CPUs or more, taskset (util-linux) and wrk or oha.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
DURATION="${DURATION:-5}"
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs or more" >&2; exit 1; }
command -v taskset >/dev/null || { echo "needs taskset (util-linux)" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN="${CARGO_TARGET_DIR:-target}/release/ratedoctor"
fi
export BIN DURATION
OUT=bench/out/pinned
mkdir -p "$OUT"

for latency in 0 1; do
  for i in $(seq 1 "$RUNS"); do
    echo "== latency $latency ms, run $i of $RUNS" >&2
    PIN=1 QUICK=1 LATENCY_MS=$latency bash bench/proxy.sh | grep '^| [0-9]' >"$OUT/l$latency-r$i.txt"
  done
done

python3 - "$OUT" "$RUNS" "$DURATION" "$(git rev-parse --short HEAD)" <<'PY' | python3 bench/md_section.py proxy-pinned
import statistics, sys, datetime
out, runs, duration, rev = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
print("## Proxy cost with the proxy on a CPU of its own")
print()
print(f"`bench/proxy_pinned.sh` (RUNS={runs} DURATION={duration}) — {datetime.date.today()}, "
      f"ratedoctor {rev}. The same request as in the proxy cost table (direct vs watch vs LiteLLM); wrk and the emulator pinned to CPU 0, "
      "`ratedoctor watch` to CPU 1 (taskset), as when the provider is another machine and the "
      "proxy competes with nothing for its CPU. Medians of the runs.")
print()
print("| emulator latency | concurrency | direct req/s | via ratedoctor req/s | ratedoctor ÷ direct | p50 ms direct / via | added p50 ms |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for latency in (0, 1):
    rows = {}
    for i in range(1, runs + 1):
        for line in open(f"{out}/l{latency}-r{i}.txt"):
            f = [x.strip().rstrip("%") for x in line.strip().strip("|").split("|")]
            c = int(f[0])
            rows.setdefault(c, []).append([float(x) for x in f[1:]])
    for c in sorted(rows):
        m = [statistics.median(col) for col in zip(*rows[c])]
        drps, prps, _, d50, p50, added = m[0], m[1], m[2], m[3], m[4], m[5]
        print(f"| {latency} ms | {c} | {drps:,.0f} | {prps:,.0f} | {100 * prps / drps:.0f}% | "
              f"{d50:.3f} / {p50:.3f} | {added:.3f} |")
print()
print("At concurrency 1 a request is a round trip and nothing else, so the throughput ratio is "
      "the ratio of latencies: with an emulator that answers in 0.02 ms, any extra hop "
      "(two more socket crossings, the proxy's CPU waking up) divides it several times; "
      "with 1 ms of upstream latency, still far less than any real provider's, the same "
      "added time costs a few percent.")
PY
cat BENCHMARKS.md | sed -n '/proxy-pinned:begin/,/proxy-pinned:end/p' | head -5
