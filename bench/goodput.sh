#!/usr/bin/env bash
# Goodput under limits (issue #8, table 1): one rate-limited job — 600 chat completions
# from 4 worker processes sharing one key — done five ways against `ratedoctor mock`: the
# seed guide's tenacity recipe, the openai SDK's own retries, a cookbook-style token-bucket
# pacer (told the full limits, and told a quarter each), and the SDK's retries under
# `ratedoctor run --pace --retry 3`. Writes the table into BENCHMARKS.md between
# <!-- goodput:begin --> and <!-- goodput:end -->.
#
# Installs what it needs: a virtualenv in bench/out/goodput-venv with openai and tenacity
# from PyPI (python3 with venv required), and `cargo build --release`.
# Env: RUNS (default 3), CARGO_TARGET_DIR, BIN=path (use that binary, no build), PYTHON
# (interpreter for the venv, default python3). Extra arguments go to bench/goodput/bench.py
# (e.g. --ways sdk,ratedoctor --runs 1 --no-write). About 9 minutes with RUNS=3.
# The second table of BENCHMARKS.md, the same job where tokens bind (about 8 minutes):
#   bash bench/goodput.sh --requests 40 --rpm 1000 --tpm 12000 --section goodput-tokens
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/goodput/setup.sh bench/goodput.sh "$@"
exec "$VENV/bin/python" bench/goodput/bench.py --bin "$BIN" --python "$VENV/bin/python" \
  --runs "$RUNS" --command "$CMD" "$@"
