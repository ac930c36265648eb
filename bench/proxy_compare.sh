#!/usr/bin/env bash
# Proxy cost, side by side (issue #8, table 2): requests/s and p50/p99 latency of a small
# chat completion at concurrency 1, 16 and 64 — direct to `ratedoctor mock`, through
# `ratedoctor watch`, and through the LiteLLM proxy configured as a pass-through to the
# same emulator — plus the time to the first SSE event of a streamed completion through
# each, and the CPU each proxy spends per request. Medians of RUNS runs, the targets
# interleaved within each run. Writes the tables into BENCHMARKS.md between
# <!-- proxy:begin --> and <!-- proxy:end --> (and prints them).
#
# Needs wrk (apt-get install wrk) and python3 (3.9+). LiteLLM is installed from PyPI into
# a virtualenv under bench/out/ on the first run (pip install 'litellm[proxy]'); it runs
# with its defaults (one uvicorn worker), its telemetry off and the local model cost map,
# so it makes no network call.
#
# Env: DURATION (s per measurement, default 5), RUNS (default 3), TTFB_N (streams per
# target, default 30), CHUNK_DELAY (ms between the emulator's SSE chunks, default 20),
# VENV (default bench/out/venv), BIN=path (a built ratedoctor; default: cargo build
# --release), NO_WRITE=1 (print only).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-5}"
RUNS="${RUNS:-3}"
TTFB_N="${TTFB_N:-30}"
CHUNK_DELAY="${CHUNK_DELAY:-20}"
VENV="${VENV:-bench/out/venv}"
TARGET="${CARGO_TARGET_DIR:-target}"
OUT=bench/out/compare
mkdir -p "$OUT"
ulimit -n 16384 2>/dev/null || ulimit -n 4096 2>/dev/null || true
COMMAND="bench/proxy_compare.sh (DURATION=$DURATION RUNS=$RUNS TTFB_N=$TTFB_N CHUNK_DELAY=$CHUNK_DELAY)"

command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN="$TARGET/release/ratedoctor"
fi
if [ ! -x "$VENV/bin/litellm" ]; then
  echo "installing LiteLLM into $VENV ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'litellm[proxy]'
fi
LITELLM_VERSION=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))')

. bench/lib.sh

KEY=sk-bench-0000000000000000
BIG=1000000000
"$BIN" mock --listen 127.0.0.1:0 --rpm $BIG --tpm $BIG --input-tpm $BIG --output-tpm $BIG \
  --chunk-delay "$CHUNK_DELAY" >"$OUT/mock.log" 2>&1 &
MOCK_PID=$!
PIDS+=($MOCK_PID)
MOCK=$(url_from "$OUT/mock.log")
"$BIN" watch --listen 127.0.0.1:0 --upstream "$MOCK" --no-tui >/dev/null 2>"$OUT/watch.log" &
WATCH_PID=$!
PIDS+=($WATCH_PID)
WATCH=$(url_from "$OUT/watch.log")

LPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$OUT/litellm.yaml" <<YAML
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: $MOCK/v1
      api_key: $KEY
litellm_settings:
  telemetry: false
general_settings:
  master_key: $KEY
YAML
LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False NO_DOCS=True \
  "$VENV/bin/litellm" --config "$OUT/litellm.yaml" --host 127.0.0.1 --port "$LPORT" \
  >"$OUT/litellm.log" 2>&1 &
LITELLM_PID=$!
PIDS+=($LITELLM_PID)
LITELLM=$(url_from "$OUT/litellm.log")

BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}],"max_tokens":5}'
post_lua "$OUT/post.lua" "$BODY" "$KEY"

# Every target answers before anything is measured.
for u in "$MOCK" "$WATCH" "$LITELLM"; do
  code=$(curl -s -o "$OUT/check.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -d "$BODY" "$u/v1/chat/completions" || true)
  [ "$code" = 200 ] || { echo "$u answered $code: $(cat "$OUT/check.json")" >&2; exit 1; }
done

to_ms() { # "123.45us" / "1.2ms" / "0.5s" -> ms
  awk -v v="$1" 'BEGIN{n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.3f", n}'
}
cpu_ticks() { # the process and its children (LiteLLM may fork workers)
  local t=0 p
  for p in $1 $(pgrep -P "$1" 2>/dev/null || true); do
    t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo $t
}
TCK=$(getconf CLK_TCK)

# measure NAME URL CONC RUN -> appends "name c run rps p50 p99 errors cpu_proxy_us cpu_mock_us"
measure() {
  local name=$1 url=$2 c=$3 run=$4 t pid m0 p0 m1 p1
  t=$(( c < 2 ? 1 : 2 ))
  case $name in watch) pid=$WATCH_PID ;; litellm) pid=$LITELLM_PID ;; *) pid="" ;; esac
  m0=$(cpu_ticks "$MOCK_PID"); p0=0; [ -n "$pid" ] && p0=$(cpu_ticks "$pid")
  wrk -t"$t" -c"$c" -d"${DURATION}s" --latency -s "$OUT/post.lua" "$url/v1/chat/completions" >"$OUT/wrk.txt"
  m1=$(cpu_ticks "$MOCK_PID"); p1=0; [ -n "$pid" ] && p1=$(cpu_ticks "$pid")
  local n rps p50 p99 errs
  n=$(awk '/requests in/ {print $1}' "$OUT/wrk.txt")
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$OUT/wrk.txt")
  p50=$(to_ms "$(awk '$1=="50%" {print $2}' "$OUT/wrk.txt")")
  p99=$(to_ms "$(awk '$1=="99%" {print $2}' "$OUT/wrk.txt")")
  errs=$(awk '/Non-2xx/ {e+=$NF} /Socket errors/ {gsub(",",""); e+=$4+$6+$8+$10} END {print e+0}' "$OUT/wrk.txt")
  awk -v name="$name" -v c="$c" -v r="$run" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v e="$errs" \
    -v n="$n" -v dp=$((p1 - p0)) -v dm=$((m1 - m0)) -v t="$TCK" \
    'BEGIN{printf "%s %d %d %s %s %s %d %.1f %.1f\n", name, c, r, rps, p50, p99, e, (n>0?dp*1e6/t/n:0), (n>0?dm*1e6/t/n:0)}' >>"$OUT/results.txt"
}

# Warm-up: LiteLLM's first requests are much slower than its steady state.
for u in "$MOCK" "$WATCH" "$LITELLM"; do
  wrk -t2 -c16 -d2s -s "$OUT/post.lua" "$u/v1/chat/completions" >/dev/null
done
: >"$OUT/results.txt"
for run in $(seq 1 "$RUNS"); do
  for c in 1 16 64; do
    measure direct "$MOCK" "$c" "$run"
    measure watch "$WATCH" "$c" "$run"
    measure litellm "$LITELLM" "$c" "$run"
  done
done

# Time to the first SSE event of a streamed completion (new connection per stream).
"$VENV/bin/python" - "$TTFB_N" "$KEY" "$MOCK" "$WATCH" "$LITELLM" >"$OUT/ttfb.txt" <<'PY'
import socket, statistics, sys, time
n, key, urls = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
body = (b'{"model":"gpt-4o-mini","stream":true,"max_tokens":20,'
        b'"messages":[{"role":"user","content":"hello"}]}')
def one(url):
    host, port = url.split("//")[1].split(":")
    s = socket.create_connection((host, int(port)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    req = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
           f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    t0 = time.perf_counter()
    s.sendall(req)
    got, first_byte, first_event = b"", None, None
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        now = time.perf_counter()
        if first_byte is None:
            first_byte = now
        got += chunk
        if first_event is None and b"\ndata:" in got:
            first_event = now
    s.close()
    assert b" 200 " in got.split(b"\r\n", 1)[0], got[:200]
    return (first_byte - t0) * 1000, (first_event - t0) * 1000
for url in urls:
    for _ in range(3):
        one(url)
    rows = [one(url) for _ in range(n)]
    print(" ".join(f"{statistics.median(r[i] for r in rows):.3f}" for i in range(2)))
PY

python3 - "$OUT/results.txt" "$OUT/ttfb.txt" "$COMMAND" "$LITELLM_VERSION" "$CHUNK_DELAY" \
  "$(nproc)" "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" "$RUNS" "$DURATION" \
  <<'PY' >"$OUT/table.md"
import datetime, statistics, sys
res, ttfb, command, litellm_v, chunk_delay, nproc, commit, runs, duration = sys.argv[1:10]
rows = [l.split() for l in open(res) if l.strip()]
def med(name, c, col):
    vals = [float(r[col]) for r in rows if r[0] == name and int(r[1]) == c]
    return statistics.median(vals)
def errs(name, c):
    return sum(int(r[6]) for r in rows if r[0] == name and int(r[1]) == c)
out = []
out.append("## Proxy cost: direct vs `ratedoctor watch` vs LiteLLM")
out.append("")
out.append(f"`{command}` — {datetime.date.today().isoformat()}, `nproc` = {nproc}, "
           f"ratedoctor {commit}, LiteLLM {litellm_v} (defaults: one uvicorn worker; "
           f"telemetry off), wrk; a non-streamed chat completion (`max_tokens` 5) to the "
           f"emulator's OpenAI endpoint; medians of {runs} runs of {duration} s, the three "
           f"targets interleaved in each run.")
out.append("")
out.append("| concurrency | direct req/s | ratedoctor req/s | LiteLLM req/s | ratedoctor ÷ direct | ratedoctor ÷ LiteLLM | p50 ms direct / ratedoctor / LiteLLM | p99 ms direct / ratedoctor / LiteLLM |")
out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
for c in (1, 16, 64):
    d, w, l = (med(n, c, 3) for n in ("direct", "watch", "litellm"))
    p50 = " / ".join(f"{med(n, c, 4):.2f}" for n in ("direct", "watch", "litellm"))
    p99 = " / ".join(f"{med(n, c, 5):.2f}" for n in ("direct", "watch", "litellm"))
    out.append(f"| {c} | {d:,.0f} | {w:,.0f} | {l:,.0f} | {100*w/d:.0f}% | {w/l:.1f}× | {p50} | {p99} |")
e = {n: sum(errs(n, c) for c in (1, 16, 64)) for n in ("direct", "watch", "litellm")}
vs_direct = [med("watch", c, 3) / med("direct", c, 3) for c in (1, 16, 64)]
vs_litellm = [med("watch", c, 3) / med("litellm", c, 3) for c in (1, 16, 64)]
added_p50 = med("watch", 1, 4) - med("direct", 1, 4)
met = lambda ok: "met" if ok else "**not met**"
out.append("")
out.append(f"Targets (issues #5 and #8): ratedoctor adds under 0.3 ms p50 — {met(added_p50 < 0.3)} "
           f"({added_p50:.3f} ms at concurrency 1); keeps ≥ 80% of direct throughput — "
           f"{met(min(vs_direct) >= 0.8)} ({100*min(vs_direct):.0f}–{100*max(vs_direct):.0f}%); "
           f"≥ 10× LiteLLM's throughput — {met(min(vs_litellm) >= 10)} "
           f"({min(vs_litellm):.0f}–{max(vs_litellm):.0f}×).")
out.append("")
added = med("watch", 1, 4) - med("direct", 1, 4)
out.append(f"Added p50 latency at concurrency 1: ratedoctor {added:.3f} ms, LiteLLM "
           f"{med('litellm', 1, 4) - med('direct', 1, 4):.2f} ms. Failed or non-2xx "
           f"responses (wrk's socket errors, including its 2 s timeout, and non-2xx answers, "
           f"over all runs): direct {e['direct']}, ratedoctor {e['watch']}, LiteLLM {e['litellm']}.")
out.append("")
t = [list(map(float, l.split())) for l in open(ttfb) if l.strip()]
out.append(f"Streamed completion (`max_tokens` 20, the emulator sending a chunk every {chunk_delay} ms; a new connection per "
           f"stream), medians:")
out.append("")
out.append("| | direct | ratedoctor | LiteLLM |")
out.append("|---|---:|---:|---:|")
out.append("| first response byte, ms | " + " | ".join(f"{r[0]:.2f}" for r in t) + " |")
out.append("| first SSE event, ms | " + " | ".join(f"{r[1]:.2f}" for r in t) + " |")
out.append("")
out.append("CPU per request at concurrency 16 (utime + stime from `/proc`, µs; the emulator's "
           "own share for comparison):")
out.append("")
out.append("| | emulator | proxy |")
out.append("|---|---:|---:|")
out.append(f"| direct | {med('direct', 16, 8):.1f} | – |")
out.append(f"| through ratedoctor | {med('watch', 16, 8):.1f} | {med('watch', 16, 7):.1f} |")
out.append(f"| through LiteLLM | {med('litellm', 16, 8):.1f} | {med('litellm', 16, 7):.1f} |")
out.append("")
if int(nproc) <= 4:
    out.append(f"On {nproc} cores the load generator, the emulator and the proxy share the CPU, "
               "so the ratios to direct mostly measure how much CPU each proxy takes from the "
               "other two; the CPU per request says it directly.")
print("\n".join(out))
PY
cat "$OUT/table.md"
if [ -z "${NO_WRITE:-}" ]; then
  python3 bench/md_section.py proxy BENCHMARKS.md <"$OUT/table.md"
  echo "written to the proxy section of BENCHMARKS.md" >&2
fi
