#!/usr/bin/env bash
# The reliability suite of issues #8 and #15, at full size, in one command; each part's
# figures are printed as it ends, and the whole of each part's output is kept in
# bench/out/reliability-<part>.txt. Loopback only; every part is bounded by `timeout`.
#
#   load        100,000 chat completions at concurrency 256 through `ratedoctor watch` to
#               the emulator, each answer byte-exact against the emulator's direct
#               answer, none lost or mixed up; then 1,000 SSE streams opened at once, each
#               byte-exact (tests/reliability_load.rs)
#   load-paced  the same through `watch --pace --retry 5` to an emulator that admits
#               50,000 requests a minute, so requests are held and 429s retried; every
#               client answer a complete 200 to its own request, byte-exact
#   faults      50 rounds of upstream and client faults; the proxy's sockets and memory
#               back at rest (tests/reliability_faults.rs)
#   slow        1,000 slowloris and 1,000 idle connections on `watch` and on `mock` at
#               once, released within the 30 s header timeout; the 4,096-connection cap
#               filled (tests/reliability_slow.rs)
#   signals     SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, Ctrl-C,
#               Ctrl-Z/fg and panics in a real terminal (tmux): the terminal restored, per
#               test (tests/reliability_terminal.rs), and the
#               other catchable signals that end a process (SIGPROF, SIGVTALRM, SIGXCPU,
#               SIGXFSZ, SIGIO, SIGPWR, SIGSTKFLT, SIGSYS, SIGTRAP, SIGRTMIN)
#   canaries    random canary keys through every command and screen, and keys at every
#               offset around the block cuts: found in no output
#               (tests/reliability_secrets.rs, tests/redaction_cuts.rs)
#   fuzz        explain, headers and redact_cuts (fuzz/run.sh), RUNS executions each,
#               started first in the background (niceness FUZZ_NICE, below the tests),
#               one process per target, and waited for at the end
#
# Env: FUZZ=0 skips the fuzzers; RUNS [10000000] executions per target; FUZZ_MAX_TIME
# [21600] seconds per target; FUZZ_JOBS [1] processes per target; FUZZ_NICE [19].
# PARTS (a space-separated subset of the names above, fuzz excluded) runs only those.
# RATEDOCTOR_RELIABILITY_N, _C, _S, _RPM, _ROUNDS, _SLOW and _IDLE override the sizes.
# The figure lines and the fuzzers' final statistics are also written, small, to
# bench/out/reliability-figures.txt. Exit status 1 if any part failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=bench/out
mkdir -p "$OUT"
FUZZ="${FUZZ:-1}"
RUNS="${RUNS:-10000000}"
FUZZ_MAX_TIME="${FUZZ_MAX_TIME:-21600}"
FUZZ_JOBS="${FUZZ_JOBS:-1}"
FUZZ_NICE="${FUZZ_NICE:-19}"
PARTS="${PARTS:-load load-paced faults slow signals canaries}"
TARGETS=(explain headers redact_cuts)
FIGURES="$OUT/reliability-figures.txt"
# 1,000 streams hold ~2,000 sockets in the test process and as many in the proxy; the cap
# of the slow part holds 2 x 4,097.
ulimit -n 65536 2>/dev/null || ulimit -n 16384 2>/dev/null || true
export RATEDOCTOR_RELIABILITY_FULL=1 RATEDOCTOR_REQUIRE_TOOLS=1

say() { printf '== %s\n' "$*"; }
{
    echo "machine: $(nproc) cores, $(uname -sr); open files limit $(ulimit -n)"
    echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src tests fuzz bench || echo ' (with uncommitted changes)')"
    echo "started: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
} | tee "$FIGURES"
suite_start=$(date +%s)

fuzz_pids=()
if [ "$FUZZ" != 0 ]; then
    say "fuzz: building the targets, then $RUNS executions each in the background (nice $FUZZ_NICE, time box ${FUZZ_MAX_TIME}s per target)"
    (cd fuzz && RUSTC_BOOTSTRAP=1 CARGO_INCREMENTAL=0 cargo fuzz build -O -a -s none) >"$OUT/fuzz-build.txt" 2>&1 || {
        cat "$OUT/fuzz-build.txt"
        exit 1
    }
    fuzz_start=$(date +%s)
    for t in "${TARGETS[@]}"; do
        # A process group of its own (setsid), so that an interrupt stops it whole.
        SKIP_BUILD=1 NICE="$FUZZ_NICE" RUNS="$RUNS" MAX_TIME="$FUZZ_MAX_TIME" JOBS="$FUZZ_JOBS" \
            setsid bash fuzz/run.sh "$t" >"$OUT/fuzz-$t.txt" 2>&1 &
        fuzz_pids+=($!)
    done
fi

# Stop the fuzzers if the suite is interrupted.
cleanup() {
    for p in "${fuzz_pids[@]}"; do kill -- "-$p" 2>/dev/null || true; done
    exit 130
}
trap cleanup INT TERM

TESTS=(reliability_load reliability_faults reliability_slow reliability_terminal reliability_secrets redaction_cuts)
say "building the tests (release)"
cargo test --release --quiet "${TESTS[@]/#/--test=}" --no-run >"$OUT/reliability-build.txt" 2>&1 || {
    cat "$OUT/reliability-build.txt"
    exit 1
}

failed=()
# part NAME SECONDS GREP -- CARGO-TEST-ARGS: one bounded part; prints its figure lines
# (those matching GREP) and its time.
part() {
    local name=$1 secs=$2 pattern=$3
    shift 4
    case " $PARTS " in *" $name "*) ;; *) return 0 ;; esac
    local log="$OUT/reliability-$name.txt" start status=0
    say "$name"
    start=$(date +%s)
    timeout --kill-after=30 "$secs" cargo test --release "$@" >"$log" 2>&1 || status=$?
    local took=$(($(date +%s) - start))
    grep -E "$pattern" "$log" | sed "s/^/  /" || true
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "  $name: TIMED OUT after ${secs}s"
    elif [ "$status" -ne 0 ]; then
        grep -E "panicked|assertion|FAILED|failures:" "$log" | head -20 | sed "s/^/  /" || true
    fi
    local verdict=passed
    [ "$status" -eq 0 ] || { verdict="FAILED (exit $status)"; failed+=("$name"); }
    echo "  $name: $verdict in ${took}s"
    {
        echo "[$name] $verdict in ${took}s"
        grep -E "$pattern" "$log" || true
    } >>"$FIGURES"
}

part load 1800 'reliability load:|test result' -- \
    --test reliability_load -- --exact every_answer_arrives_whole_and_to_its_own_request --nocapture
part load-paced 1800 'reliability load:|test result' -- \
    --test reliability_load -- --exact paced_and_retried_every_answer_arrives_whole_and_to_its_own_request --nocapture
part faults 1200 'reliability faults:|test result' -- \
    --test reliability_faults -- --nocapture --test-threads=1
part slow 300 'reliability slow:|test result' -- \
    --test reliability_slow -- --ignored --nocapture
part signals 900 '^test |SKIPPED|test result' -- \
    --test reliability_terminal -- --test-threads=1 --include-ignored
part canaries 1200 '^test |SKIPPED|test result' -- \
    --test reliability_secrets --test redaction_cuts -- --test-threads=1

if [ "${#fuzz_pids[@]}" -gt 0 ]; then
    say "fuzz: waiting for the fuzzers (at most ${FUZZ_MAX_TIME}s each from their start)"
    fuzz_status=0
    for p in "${fuzz_pids[@]}"; do wait "$p" || fuzz_status=1; done
    echo "  fuzz: $(($(date +%s) - fuzz_start))s from the fuzzers' start"
    for t in "${TARGETS[@]}"; do
        line=$(grep -E "^$t: " "$OUT/fuzz-$t.txt" | tail -1 || true)
        echo "  ${line:-$t: no summary (see $OUT/fuzz-$t.txt)}"
        {
            echo "[fuzz $t] ${line:-no summary}"
            for log in fuzz/out/"$t"-*.log; do
                grep -E '^stat::|^Done ' "$log" | sed "s|^|$(basename "$log"): |" || true
            done
        } >>"$FIGURES"
    done
    if [ "$fuzz_status" -ne 0 ]; then
        failed+=(fuzz)
        grep -h "Test unit written to" fuzz/out/*.log 2>/dev/null | sed "s/^/  /" || true
    fi
fi

total=$(($(date +%s) - suite_start))
echo "total ${total}s" | tee -a "$FIGURES"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]}" | tee -a "$FIGURES"
    exit 1
fi
echo "all parts passed" | tee -a "$FIGURES"
echo "figures: $ROOT/$FIGURES"
