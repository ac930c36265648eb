#!/usr/bin/env bash
# Fleet pacing (issue #16): the goodput job spread over 4 and 16 "machines", each worker
# with a `ratedoctor watch --pace --retry 3` of its own, pacing alone or sharing one Redis
# (`--share`), against one proxy for all, and against 4 LiteLLM proxies sharing one Redis
# (row g); then the time `--share` adds to a request. Writes the table into BENCHMARKS.md
# between <!-- fleet:begin --> and <!-- fleet:end --> and the per-run figures to
# bench/results/fleet.json. See bench/goodput/fleet.py.
#
# Needs redis-server (Debian: apt-get install redis-server) and python3 with venv; installs
# openai and tenacity from PyPI into bench/out/goodput-venv, and builds the release binary.
# Row g installs 'litellm[proxy]' from PyPI into bench/out/litellm-venv (1–2 minutes the
# first time); when it cannot be installed or started, its row says why and the rest goes on.
# Env: RUNS (default 3), BIN=path (use that binary, no build), CARGO_TARGET_DIR, PYTHON.
# Extra arguments go to fleet.py (e.g. --rows f,d --runs 1 --no-write; --rows e,f,d,e16,f16
# leaves LiteLLM out). About 20 minutes, 8 of them row g.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v redis-server >/dev/null || { echo "bench/fleet.sh: redis-server is not installed" >&2; exit 1; }
. bench/goodput/setup.sh bench/fleet.sh "$@"
# 16 proxies and 16 workers hold a few hundred sockets each at the peak.
ulimit -n 16384 2>/dev/null || true
exec "$VENV/bin/python" bench/goodput/fleet.py --bin "$BIN" --python "$VENV/bin/python" \
  --runs "$RUNS" --command "$CMD" "$@"
