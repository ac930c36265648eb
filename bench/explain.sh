#!/usr/bin/env bash
# Throughput / memory / cold-start figures for `ratedoctor explain` (issue #2, "Performance").
#
#   SIZE_MB=1024 bash bench/explain.sh        (also: RUNS=3, NO_BUILD=1)
#
# Builds the release binary, generates bench/out/log-${SIZE_MB}MB.txt with bench/gen_log.py
# (once; deterministic), then, with the file in the page cache:
#   (a) rg -c 'rate.limit|quota|overloaded|RESOURCE_EXHAUSTED' LOG          3 runs, median
#   (b) target/release/ratedoctor explain --json LOG > bench/out/explain.json  3 runs, median
#   (c) target/release/ratedoctor explain samples/01_…  cold process, 20 runs, median
#   (d) ratedoctor simulate of 1,000,000 requests                 RUNS runs, median
# and prints a Markdown table, also written to the "explain" section of BENCHMARKS.md. MB = 2^20 bytes. Targets (issue #2): ratedoctor >= 0.5x rg
# throughput while diagnosing every error, peak RSS < 50 MB, cold explain < 10 ms.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SIZE_MB="${SIZE_MB:-1024}"
RUNS="${RUNS:-3}"
OUT="$ROOT/bench/out"
LOG="$OUT/log-${SIZE_MB}MB.txt"
BIN="$ROOT/target/release/ratedoctor"
SAMPLE="samples/01_openai_tpm_python_traceback.txt"
PATTERN='rate.limit|quota|overloaded|RESOURCE_EXHAUSTED'
mkdir -p "$OUT"

say() { printf '== %s\n' "$*" >&2; }

apt_install() { # apt_install PACKAGE: install quietly, running apt-get update if needed
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y -qq "$1" >/dev/null 2>&1 ||
        { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq "$1" >/dev/null 2>&1; }
}

# --- tools --------------------------------------------------------------------------------
command -v rg >/dev/null || { say "installing ripgrep"; apt_install ripgrep; }
command -v rg >/dev/null || { echo "ripgrep is required" >&2; exit 1; }
[ -x /usr/bin/time ] || { say "installing time"; apt_install time; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (package 'time') is required" >&2; exit 1; }
command -v hyperfine >/dev/null || { say "trying to install hyperfine"; apt_install hyperfine || true; }

# --- build --------------------------------------------------------------------------------
if [ -z "${NO_BUILD:-}" ]; then # NO_BUILD=1: time the binary already in target/release
    say "cargo build --release"
    cargo build --release --quiet --bin ratedoctor
fi

# --- input --------------------------------------------------------------------------------
if [ ! -s "$LOG" ] || [ ! -s "$LOG.manifest.json" ]; then
    say "generating $LOG (${SIZE_MB} MB)"
    python3 bench/gen_log.py "$LOG" "$SIZE_MB" >&2
fi
BYTES=$(stat -c %s "$LOG")
BLOCKS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error_blocks"])' "$LOG.manifest.json")
say "warming the page cache"
cat "$LOG" >/dev/null

# --- timing helpers -----------------------------------------------------------------------
now_ns() { date +%s%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
max_rss_kb() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
cpu_s() { awk -F': ' '/User time|System time/ {t += $2} END {printf "%.2f", t}' "$1"; }

# run_timed NAME STDOUT_FILE CMD...: RUNS runs; sets MED_S (median wall seconds), MED_CPU
# (median user+sys seconds: tells a busy machine apart from a slow program), MAX_RSS_KB
run_timed() {
    local name="$1" out="$2"; shift 2
    local walls=() cpus=() rss=0 i t0 t1 r
    for ((i = 1; i <= RUNS; i++)); do
        t0=$(now_ns)
        /usr/bin/time -v -o "$OUT/time-$name.txt" "$@" >"$out"
        t1=$(now_ns)
        walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (b - a) / 1e9}')")
        cpus+=("$(cpu_s "$OUT/time-$name.txt")")
        r=$(max_rss_kb "$OUT/time-$name.txt")
        ((r > rss)) && rss=$r
        say "$name run $i: ${walls[-1]} s wall, ${cpus[-1]} s CPU, max RSS $((r / 1024)) MB"
    done
    MED_S=$(printf '%s\n' "${walls[@]}" | median)
    MED_CPU=$(printf '%s\n' "${cpus[@]}" | median)
    MAX_RSS_KB=$rss
}

# --- (a) ripgrep --------------------------------------------------------------------------
run_timed rg "$OUT/rg-count.txt" rg -c "$PATTERN" "$LOG"
RG_S=$MED_S
RG_LINES=$(cat "$OUT/rg-count.txt")

# --- (b) ratedoctor explain --json --------------------------------------------------------
run_timed ratedoctor "$OUT/explain.json" "$BIN" explain --json "$LOG"
RD_S=$MED_S
RD_CPU=$MED_CPU
RD_RSS_KB=$MAX_RSS_KB

# --- check the JSON against each inserted sample explained alone ------------------------
# A diagnosis of the big log "matches" when a sample alone gives one with the same folding
# key (provider, detail, model, limit, organization, status); anything else is unexpected
# (a false positive on ordinary lines, or an error diagnosed differently in context).
python3 - "$LOG.manifest.json" "$BIN" "$OUT/explain.json" "$OUT/check.json" <<'EOF'
import json, subprocess, sys
manifest, binary, big, dest = sys.argv[1:5]
per = json.load(open(manifest))["per_sample"]
key = lambda d: json.dumps([d.get(k) for k in ("provider", "detail", "model", "limit", "organization", "status")])
expected, keys, silent = 0, set(), []
for name, n in sorted(per.items()):
    r = subprocess.run([binary, "explain", "--json", "samples/" + name], capture_output=True, text=True)
    diags = json.loads(r.stdout)["diagnoses"] if r.stdout.strip() else []
    expected += n * sum(d["occurrences"] for d in diags)
    keys.update(key(d) for d in diags)
    if not diags:
        silent.append(name)
got = json.load(open(big))["diagnoses"]  # raises if the JSON does not parse
matched = [d for d in got if key(d) in keys]
other = [d for d in got if key(d) not in keys]
check = {
    "distinct": len(got),
    "occurrences": sum(d["occurrences"] for d in got),
    "expected_occurrences": expected,
    "matched_occurrences": sum(d["occurrences"] for d in matched),
    "unexpected_distinct": len(other),
    "unexpected_occurrences": sum(d["occurrences"] for d in other),
    "unexpected": [{k: d.get(k) for k in ("provider", "kind", "detail", "occurrences", "span", "message")}
                   for d in other[:20]],
    "samples_without_diagnosis_alone": silent,
}
json.dump(check, open(dest, "w"), indent=1)
EOF
read -r DISTINCT OCCURRENCES EXPECTED MATCHED UNEXP_D UNEXP_O < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
print(c["distinct"], c["occurrences"], c["expected_occurrences"], c["matched_occurrences"],
      c["unexpected_distinct"], c["unexpected_occurrences"])' "$OUT/check.json")

# --- (c) cold explain of one sample -------------------------------------------------------
COLD_TOOL=""
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 3 --runs 20 --export-json "$OUT/cold.json" \
        "$BIN explain $SAMPLE" >/dev/null 2>&1 || true
fi
if [ -s "$OUT/cold.json" ] && COLD_MS=$(python3 -c '
import json, sys
print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$OUT/cold.json" 2>/dev/null); then
    COLD_TOOL="hyperfine -N, 20 runs"
else
    COLD=()
    "$BIN" explain "$SAMPLE" >/dev/null # warm-up
    for ((i = 1; i <= 20; i++)); do
        t0=$(now_ns); "$BIN" explain "$SAMPLE" >/dev/null; t1=$(now_ns)
        COLD+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e6}')")
    done
    COLD_MS=$(printf '%s\n' "${COLD[@]}" | median)
    COLD_TOOL="bash loop, 20 runs (includes fork/exec of date)"
fi
rm -f "$OUT/cold.json"

# --- (d) simulate speed: 1,000,000 requests ----------------------------------------------
SIM_ARGS=(simulate --limits rpm=10000,tpm=2000000 --workload requests=1000000,input=200,max_tokens=100,concurrency=64,latency=800 --policy ratedoctor --json)
SIM=()
for ((i = 1; i <= RUNS; i++)); do
    t0=$(now_ns); "$BIN" "${SIM_ARGS[@]}" >/dev/null; t1=$(now_ns)
    SIM+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')")
done
SIM_S=$(printf '%s\n' "${SIM[@]}" | median)

# --- report -------------------------------------------------------------------------------
REPORT=$(python3 - "$BYTES" "$RG_S" "$RD_S" "$RD_RSS_KB" "$DISTINCT" "$OCCURRENCES" "$BLOCKS" "$EXPECTED" \
    "$COLD_MS" "$COLD_TOOL" "$RG_LINES" "$RUNS" "$(nproc)" "$(rg --version | sed -n 1p)" \
    "$MATCHED" "$UNEXP_D" "$UNEXP_O" "$RD_CPU" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import sys
(bytes_, rg_s, rd_s, rss_kb, distinct, occ, blocks, expected, cold_ms, cold_tool,
 rg_lines, runs, cpus, rg_version, matched, unexp_d, unexp_o, rd_cpu, load) = sys.argv[1:]
mb = int(bytes_) / 1048576
rg_s, rd_s, cold_ms = float(rg_s), float(rd_s), float(cold_ms)
rg_tp, rd_tp = mb / rg_s, mb / rd_s
ratio = rd_tp / rg_tp
rss_mb = int(rss_kb) / 1024
ok = lambda b: "yes" if b else "**no**"
print()
print(f"Log: {mb:.0f} MB ({int(bytes_):,} bytes), {int(blocks):,} error blocks inserted "
      f"(1 per 1,000 lines); {cpus} CPUs, load average {load}; {rg_version}; median of {runs} warm-cache runs.")
print()
print("| measure | value | target | met |")
print("|---|---|---|---|")
print(f"| log size | {mb:.0f} MB | | |")
print(f"| `rg -c '…'` | {rg_s:.3f} s, {rg_tp:,.0f} MB/s ({int(rg_lines):,} matching lines) | | |")
print(f"| `ratedoctor explain --json` | {rd_s:.3f} s, {rd_tp:,.0f} MB/s "
      f"(CPU {float(rd_cpu):.2f} s: {mb / max(float(rd_cpu), 1e-9):,.0f} MB per CPU second) | | |")
print(f"| ratedoctor / rg throughput | {ratio:.2f}× | ≥ 0.5× | {ok(ratio >= 0.5)} |")
print(f"| ratedoctor peak RSS | {rss_mb:.1f} MB | < 50 MB | {ok(rss_mb < 50)} |")
print(f"| distinct diagnoses | {int(distinct):,} | | |")
print(f"| total occurrences (sum of `occurrences`) | {int(occ):,} | | |")
print(f"| occurrences matching the inserted errors | {int(matched):,} (expected {int(expected):,}: "
      f"{int(blocks):,} blocks, each sample explained alone) | = expected | {ok(int(matched) == int(expected))} |")
print(f"| unexpected diagnoses (not from any sample) | {int(unexp_d):,} distinct, {int(unexp_o):,} occurrences "
      f"(see bench/out/check.json) | 0 | {ok(int(unexp_o) == 0)} |")
print(f"| cold `explain` of one sample | {cold_ms:.2f} ms ({cold_tool}) | < 10 ms | {ok(cold_ms < 10)} |")
EOF
)
SIM_ROW="| \`ratedoctor simulate\` of 1,000,000 requests (64 workers) | ${SIM_S} s, $(awk -v s="$SIM_S" 'BEGIN {printf "%.1f", 1 / s}') M requests/s | < 1 s | $(awk -v s="$SIM_S" 'BEGIN {print (s < 1) ? "yes" : "**no**"}') |"
printf '%s\n%s\n' "$REPORT" "$SIM_ROW"
{
    echo "## Explain and simulate speed"
    echo
    COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    git -C "$ROOT" diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || COMMIT="$COMMIT plus uncommitted changes"
    echo "Made by \`SIZE_MB=$SIZE_MB RUNS=$RUNS bash bench/explain.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, at commit \`$COMMIT\`."
    echo "Simulate: \`ratedoctor ${SIM_ARGS[*]}\`, median of $RUNS runs."
    printf '%s\n%s\n' "$REPORT" "$SIM_ROW"
} | python3 "$ROOT/bench/md_section.py" explain "$ROOT/BENCHMARKS.md"
