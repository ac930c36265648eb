#!/usr/bin/env bash
# Fuzzes the explain engine, the header parser and redaction across block cuts with cargo-fuzz
# (issue #8, "Fuzzing"; issue #15, defect 1).
#
#   bash fuzz/run.sh                      # every target, 10,000,000 executions each
#   bash fuzz/run.sh explain              # one target
#   RUNS=1000000 MAX_TIME=600 JOBS=2 bash fuzz/run.sh
#
# Settings (environment):
#   RUNS        executions per target, all jobs together        [10000000]
#   MAX_TIME    time box per target, in seconds (0: none)       [21600]
#   JOBS        fuzzer processes per target, sharing one corpus [1]
#   MAX_LEN     longest input, in bytes                         [1024]
#   SANITIZER   none or address (our crate has no unsafe code)  [none]
#   NICE        niceness of the fuzzers (a shared machine)      [10]
#   SKIP_BUILD  1: run the targets built last (bench/reliability.sh builds them first,
#               then runs one target per process in parallel)    [0]
#
# cargo-fuzz passes nightly-only flags to rustc; on a stable toolchain RUSTC_BOOTSTRAP=1
# (set here) lets them through. cargo-fuzz itself is installed from crates.io if missing.
# The build has debug assertions on, so an arithmetic overflow is a crash, as in `cargo test`.
#
# The corpus lives in fuzz/corpus/<target>/ and grows from run to run; it is seeded from
# samples/: each sample whole, and cut at line boundaries into pieces of at most MAX_LEN
# bytes (libFuzzer truncates longer inputs, which would lose the error at the end of a
# traceback). Logs go to fuzz/out/. A crash or a hang (10 s on one input) is written to
# fuzz/artifacts/<target>/ and makes the script exit 1; reproduce it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -O -a -s none <target> artifacts/<target>/<file>
# (from fuzz/), then add the input as a regression test.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$HERE"
RUNS="${RUNS:-10000000}"
MAX_TIME="${MAX_TIME:-21600}"
JOBS="${JOBS:-1}"
MAX_LEN="${MAX_LEN:-1024}"
SANITIZER="${SANITIZER:-none}"
NICE="${NICE:-10}"
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(explain headers redact_cuts)
export RUSTC_BOOTSTRAP=1 CARGO_INCREMENTAL=0

say() { printf '== %s\n' "$*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked
fi

FLAGS=(-O -a -s "$SANITIZER")
if [ "${SKIP_BUILD:-0}" = 1 ]; then
    say "not building (SKIP_BUILD=1): running the fuzz targets built last"
else
    say "building the fuzz targets (cargo fuzz build ${FLAGS[*]})"
    cargo fuzz build "${FLAGS[@]}" >&2
fi
# Run the binaries just built (not `cargo fuzz run`, which would rebuild from whatever the
# sources are by the time a later target starts).
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
BINDIR="$HERE/target/$TRIPLE/release"

seed() { # seed TARGET: samples/ into corpus/TARGET, whole and in pieces of <= MAX_LEN bytes
    local dir="corpus/$1"
    mkdir -p "$dir"
    python3 - "$ROOT/samples" "$dir" "$MAX_LEN" <<'PY'
import hashlib, pathlib, sys
src, dst, max_len = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
def put(data):
    (dst / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)
for p in sorted(src.glob("*.txt")):
    data = p.read_bytes()
    put(data)
    piece = b""
    for line in data.splitlines(keepends=True):
        if piece and len(piece) + len(line) > max_len:
            put(piece)
            piece = b""
        piece += line[:max_len]
    if piece:
        put(piece)
PY
}

status=0
summary=()
mkdir -p out
for target in "${TARGETS[@]}"; do
    seed "$target"
    per_job=$(( (RUNS + JOBS - 1) / JOBS ))
    say "fuzzing $target: $RUNS executions in $JOBS job(s), time box ${MAX_TIME}s, max_len $MAX_LEN"
    # Logs of an earlier run with more jobs would be counted as crashes of this one.
    rm -f out/"$target"-*.log
    start=$(date +%s)
    pids=()
    for j in $(seq 1 "$JOBS"); do
        log="out/$target-$j.log"
        mkdir -p "artifacts/$target"
        nice -n "$NICE" "$BINDIR/$target" -artifact_prefix="artifacts/$target/" \
            -runs="$per_job" -max_total_time="$MAX_TIME" -max_len="$MAX_LEN" \
            -dict="dict/$target.dict" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -reload=30 "corpus/$target" >"$log" 2>&1 &
        pids+=($!)
    done
    failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
    secs=$(( $(date +%s) - start ))
    [ "$secs" -gt 0 ] || secs=1
    execs=0
    for j in $(seq 1 "$JOBS"); do
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "out/$target-$j.log" | tail -1)
        execs=$(( execs + ${n:-0} ))
    done
    rate=$(( execs / secs ))
    line="$target: $execs executions in ${secs}s ($rate exec/s, $JOBS job(s), max_len $MAX_LEN)"
    if [ "$failed" -ne 0 ] || grep -q "Test unit written to" out/"$target"-*.log; then
        line="$line: CRASH"
        grep -h -B2 -A12 "panicked at\|ERROR: libFuzzer" out/"$target"-*.log | head -60 >&2 || true
        grep -h "Test unit written to" out/"$target"-*.log >&2 || true
        status=1
    elif [ "$execs" -lt "$RUNS" ]; then
        line="$line: no crash, but the time box ended it before $RUNS"
    else
        line="$line: no crash, no hang"
    fi
    say "$line"
    summary+=("$line")
done

printf '\n'
printf '%s\n' "${summary[@]}"
exit "$status"
