#!/usr/bin/env bash
# `explain --follow` under a fast writer (issue #17): a file appended at RATE lines a second
# (1 in 1,000 an OpenAI 429 line, stamped with its write time) for SECS seconds, followed by
# the release binary with --json. Checks that every error written is diagnosed exactly once
# (no line lost, none read twice) and measures the delay from the write to the diagnosis
# (p50/p99/max), the follower's CPU time and peak RSS. Writes the "follow" section of
# BENCHMARKS.md.
#
#   RATE=100000 SECS=30 bash bench/follow.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RATE="${RATE:-100000}"
SECS="${SECS:-30}"
# The binary of the sources as they are (BIN=path: that one, no build).
if [ -z "${BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release --quiet)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/ratedoctor"
fi
OUT="$ROOT/bench/out"
mkdir -p "$OUT"

REPORT="$(nice -n 10 python3 - "$BIN" "$RATE" "$SECS" "$OUT" <<'PY'
import datetime, json, os, signal, subprocess, sys, threading, time
bin_, rate, secs, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
log = os.path.join(out, "follow.log")
open(log, "w").close()
p = subprocess.Popen([bin_, "explain", "--follow", "--json", log],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
arrivals = []  # (arrival time, t)
def reader():
    for line in p.stdout:
        now = time.time()
        v = json.loads(line)
        if v.get("event") == "response_received":
            arrivals.append((now, v["t"]))
th = threading.Thread(target=reader); th.start()
time.sleep(0.5)  # the follower is at the end of the (empty) file
ordinary = "INFO GET /v1/items?page=3 200 in 12 ms region=eu-west-1 request_id=req_0123456789abcdef\n"
body = ('ERROR openai.RateLimitError: Error code: 429 - {"error":{"message":"Rate limit reached for gpt-4o-mini '
        'in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",'
        '"type":"requests","param":null,"code":"rate_limit_exceeded"}}\n')
batch = 1000                       # lines per write: one error, 999 ordinary lines
every = batch / rate               # seconds between writes
written_lines = written_errors = 0
stamps = []
f = open(log, "a", buffering=1 << 20)
start = time.time(); next_at = start
while time.time() - start < secs:
    now = time.time()
    if now < next_at:
        time.sleep(next_at - now)
    now = time.time()
    stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    chunk = (f"{stamp} " + ordinary) * 499 + f"{stamp} " + body + (f"{stamp} " + ordinary) * 500
    f.write(chunk); f.flush()
    stamps.append(stamp)
    written_lines += batch; written_errors += 1
    next_at += every
wrote_for = time.time() - start
f.close()
time.sleep(1.5)  # the last errors become final (idle flush)
st = open(f"/proc/{p.pid}/status").read()
hwm_kb = int([l for l in st.splitlines() if l.startswith("VmHWM:")][0].split()[1])
fields = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
p.send_signal(signal.SIGTERM)
p.wait(timeout=10); th.join(timeout=10)
stderr = p.stderr.read().decode()
ts = [t for _, t in arrivals]
# Stamps are milliseconds: two writes may share one, so they are compared as multisets.
from collections import Counter
missing = sum((Counter(stamps) - Counter(ts)).values())
dup = sum((Counter(ts) - Counter(stamps)).values())
def epoch(t):
    return datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
lat = sorted((a - epoch(t)) * 1000 for a, t in arrivals)
q = lambda x: lat[min(len(lat) - 1, int(x * len(lat)))] if lat else float("nan")
size_mb = os.path.getsize(log) / 1048576
ok = lambda b: "yes" if b else "**no**"
print(f"Writer: {written_lines:,} lines ({size_mb:,.0f} MB) in {wrote_for:.1f} s = {written_lines / wrote_for:,.0f} lines/s "
      f"in writes of {batch:,} lines, each with one error; follower: `ratedoctor explain --follow --json FILE` (release build).")
print()
print("| measure | value | target | met |")
print("|---|---|---|---|")
print(f"| errors written / diagnosed | {written_errors:,} / {len(ts):,} ({missing} missing, {dup} extra) | all, once | {ok(missing == 0 and dup == 0 and len(ts) == written_errors)} |")
print(f"| write → diagnosis delay p50 / p99 / max | {q(0.5):.0f} / {q(0.99):.0f} / {lat[-1] if lat else float('nan'):.0f} ms | p99 ≤ 100 ms | {ok(q(0.99) <= 100)} |")
print(f"| follower CPU | {cpu_s:.2f} s for {wrote_for:.0f} s ({100 * cpu_s / wrote_for:.0f}% of a core) | | |")
print(f"| follower peak RSS | {hwm_kb / 1024:.1f} MB | | |")
print(f"| summary line | `{stderr.strip().splitlines()[-1] if stderr.strip() else ''}` | | |")
os.remove(log)
PY
)"
echo "$REPORT"
{
    echo "## Follow"
    echo
    COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    git -C "$ROOT" diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || COMMIT="$COMMIT plus uncommitted changes"
    echo "Made by \`RATE=$RATE SECS=$SECS bash bench/follow.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores (shared), at commit \`$COMMIT\`."
    echo
    echo "$REPORT"
} | python3 "$ROOT/bench/md_section.py" follow "$ROOT/BENCHMARKS.md"
