#!/usr/bin/env bash
# Reliability (issue #8) at full size: the "Load" and "Faults" tests of `cargo test`, in a
# release build, with RATEDOCTOR_RELIABILITY_FULL=1: 100,000 chat completions at
# concurrency 256 through `ratedoctor watch` to the emulator, each answer byte-exact against
# the emulator's direct answer, none lost or mixed up; 1,000 SSE streams opened at once,
# each byte-exact; then 50 rounds of upstream and client faults. Prints the figures (time,
# req/s, the proxy's RSS and TCP sockets before, at the peak and at rest) and keeps the
# whole output in bench/out/reliability.txt.
#
# Env: RATEDOCTOR_RELIABILITY_N, _C, _S (requests, concurrency, streams) and _ROUNDS
# (fault rounds) override the full sizes; CARGO_TARGET_DIR as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
# 1,000 streams hold ~2,000 sockets in the test process and as many in the proxy.
ulimit -n 16384 2>/dev/null || ulimit -n 8192 2>/dev/null || true
export RATEDOCTOR_RELIABILITY_FULL=1

echo "machine: $(nproc) cores, $(uname -sr); open files limit $(ulimit -n)"
cargo test --release --quiet --test reliability_load --test reliability_faults --no-run
start=$(date +%s)
cargo test --release --quiet --test reliability_load --test reliability_faults \
  -- --nocapture --test-threads=1 >"$OUT/reliability.txt" 2>&1 || {
  cat "$OUT/reliability.txt"
  exit 1
}
grep -oE 'reliability (load|faults): .*|test result: .*' "$OUT/reliability.txt"
echo "total $(($(date +%s) - start)) s"
