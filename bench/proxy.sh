#!/usr/bin/env bash
# Proxy overhead: requests/s and p50/p99 latency of a small chat completion, direct to
# `ratedoctor mock` vs through `ratedoctor watch`, at concurrency 1, 16 and 64; then the
# proxy's RSS with many concurrent open SSE streams. Prints a Markdown table.
#
# Needs wrk (apt-get install wrk) or oha (cargo install oha), python3 for the streams.
# Env: DURATION (s, default 5), STREAMS (default 1000), CARGO_TARGET_DIR; BIN=path runs that
# binary instead of building (to compare two builds in the same conditions).
#   PIN=1: the load generator and the emulator run on CPU 0 and the proxy on CPU 1 (taskset),
#          as when the provider is another machine: the proxy takes no CPU from the other
#          two. LATENCY_MS=N: the emulator answers after N ms, as a real provider does.
#          QUICK=1: the throughput table only (no CPU and SSE tables).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-5}"
STREAMS="${STREAMS:-1000}"
TARGET="${CARGO_TARGET_DIR:-target}"
OUT=bench/out
mkdir -p "$OUT"
ulimit -n 16384 2>/dev/null || ulimit -n 4096 2>/dev/null || true

if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN="$TARGET/release/ratedoctor"
fi

. bench/lib.sh

# PIN=1: who runs where.
ON_LOAD=() ON_PROXY=()
if [ "${PIN:-}" = 1 ]; then
  ON_LOAD=(taskset -c 0) ON_PROXY=(taskset -c 1)
fi

BIG=1000000000
"${ON_LOAD[@]}" "$BIN" mock --listen 127.0.0.1:0 --rpm $BIG --tpm $BIG --input-tpm $BIG \
  --output-tpm $BIG --latency "${LATENCY_MS:-0}" >"$OUT/mock.log" 2>&1 &
MOCK_PID=$!
PIDS+=($MOCK_PID)
MOCK=$(url_from "$OUT/mock.log")
"${ON_PROXY[@]}" "$BIN" watch --listen 127.0.0.1:0 --upstream "$MOCK" --no-tui >/dev/null 2>"$OUT/watch.log" &
WATCH_PID=$!
PIDS+=($WATCH_PID)
PROXY=$(url_from "$OUT/watch.log")

BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}],"max_tokens":5}'
post_lua "$OUT/post.lua" "$BODY" sk-bench-0000000000000000

to_ms() { # "123.45us" / "1.2ms" / "0.5s" -> ms
  awk -v v="$1" 'BEGIN{n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.3f", n}'
}

# run URL CONC -> "rps p50_ms p99_ms"
run() {
  local url=$1 c=$2
  if command -v oha >/dev/null 2>&1; then
    "${ON_LOAD[@]}" oha --no-tui -z "${DURATION}s" -c "$c" -m POST -d "$BODY" -H "Content-Type: application/json" \
      -H "Authorization: Bearer sk-bench-0000000000000000" --output-format json \
      "$url/v1/chat/completions" >"$OUT/oha.json"
    python3 - "$OUT/oha.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"{d['summary']['requestsPerSec']:.0f} {d['latencyPercentiles']['p50']*1000:.3f} {d['latencyPercentiles']['p99']*1000:.3f}")
PY
  else
    local t=$(( c < 2 || ${#ON_LOAD[@]} > 0 ? 1 : 2 ))
    "${ON_LOAD[@]}" wrk -t"$t" -c"$c" -d"${DURATION}s" --latency -s "$OUT/post.lua" "$url/v1/chat/completions" >"$OUT/wrk.txt"
    local rps p50 p99
    rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$OUT/wrk.txt")
    p50=$(to_ms "$(awk '$1=="50%" {print $2}' "$OUT/wrk.txt")")
    p99=$(to_ms "$(awk '$1=="99%" {print $2}' "$OUT/wrk.txt")")
    echo "$rps $p50 $p99"
  fi
}

echo "| concurrency | direct req/s | via proxy req/s | ratio | direct p50 ms | via p50 ms | added p50 ms | direct p99 ms | via p99 ms |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in 1 16 64; do
  read -r drps dp50 dp99 < <(run "$MOCK" "$c")
  read -r prps pp50 pp99 < <(run "$PROXY" "$c")
  awk -v c="$c" -v a="$drps" -v b="$prps" -v d50="$dp50" -v p50="$pp50" -v d99="$dp99" -v p99="$pp99" \
    'BEGIN{printf "| %d | %d | %d | %.0f%% | %.3f | %.3f | %.3f | %.3f | %.3f |\n", c, a, b, (a>0?100*b/a:0), d50, p50, p50-d50, d99, p99}'
done

[ "${QUICK:-}" = 1 ] && exit 0

# CPU per request at concurrency 16 (utime+stime from /proc, in µs): on a small machine
# wrk, the mock and the proxy share the cores, so the req/s ratio above mostly says how
# much CPU the proxy takes from the other two; this says it directly.
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)
cpu_run() { # URL -> "requests mock_us proxy_us"
  local m0 w0 m1 w1 n
  m0=$(cpu_ticks "$MOCK_PID"); w0=$(cpu_ticks "$WATCH_PID")
  wrk -t2 -c16 -d"${DURATION}s" -s "$OUT/post.lua" "$1/v1/chat/completions" >"$OUT/wrk_cpu.txt"
  m1=$(cpu_ticks "$MOCK_PID"); w1=$(cpu_ticks "$WATCH_PID")
  n=$(awk '/requests in/ {print $1}' "$OUT/wrk_cpu.txt")
  awk -v n="$n" -v m=$((m1 - m0)) -v w=$((w1 - w0)) -v t="$TCK" \
    'BEGIN{printf "%d %.1f %.1f\n", n, m*1e6/t/n, w*1e6/t/n}'
}
if command -v wrk >/dev/null 2>&1; then
  read -r _ dmock _ < <(cpu_run "$MOCK")
  read -r _ pmock pproxy < <(cpu_run "$PROXY")
  echo
  echo "| CPU µs/request (c=16) | mock | proxy |"
  echo "|---|---:|---:|"
  echo "| direct | $dmock | - |"
  echo "| via proxy | $pmock | $pproxy |"
fi

# RSS with many open SSE streams: a slow mock (1 chunk per second) behind a fresh proxy.
"$BIN" mock --listen 127.0.0.1:0 --rpm $BIG --tpm $BIG --chunk-delay 1000 >"$OUT/mock2.log" 2>&1 &
PIDS+=($!)
MOCK2=$(url_from "$OUT/mock2.log")
"$BIN" watch --listen 127.0.0.1:0 --upstream "$MOCK2" --no-tui >/dev/null 2>"$OUT/watch2.log" &
W2=$!
PIDS+=($W2)
PROXY2=$(url_from "$OUT/watch2.log")
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
IDLE=$(rss "$W2")
python3 - "$PROXY2" "$STREAMS" "$W2" <<'PY' >"$OUT/streams.txt"
import asyncio, sys
url, n, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
host, port = url.split("//")[1].split(":")
body = b'{"model":"gpt-4o-mini","stream":true,"max_tokens":60,"messages":[{"role":"user","content":"hi"}]}'
req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
       b"Authorization: Bearer sk-bench-0000000000000000\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
async def one(ready):
    r, w = await asyncio.open_connection(host, int(port))
    w.write(req); await w.drain()
    await r.readuntil(b"data: ")  # the first chunk arrived: the stream is open
    ready.append(1)
    await asyncio.sleep(8)
    w.close()
async def main():
    ready = []
    tasks = [asyncio.create_task(one(ready)) for _ in range(n)]
    while len(ready) < n and not all(t.done() for t in tasks):
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)
    rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1]
    print(len(ready), rss)
    await asyncio.gather(*tasks, return_exceptions=True)
asyncio.run(main())
PY
read -r OPEN PEAK <"$OUT/streams.txt"
echo
echo "| proxy RSS idle | proxy RSS with $OPEN open SSE streams |"
echo "|---:|---:|"
awk -v a="$IDLE" -v b="$PEAK" 'BEGIN{printf "| %.1f MB | %.1f MB |\n", a/1024, b/1024}'
