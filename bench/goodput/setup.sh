# Shared by bench/goodput.sh and bench/fleet.sh (sourced from the repository's root):
# the virtualenv with the openai SDK and tenacity from PyPI (VENV), the release binary
# (BIN, unless given), RUNS, and CMD: how the calling script was run, for its table.
#   . bench/goodput/setup.sh bench/NAME.sh "$@"
RUNS="${RUNS:-3}"
VENV=bench/out/goodput-venv
mkdir -p bench/out
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check openai tenacity
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN="${CARGO_TARGET_DIR:-target}/release/ratedoctor"
fi
CMD="$1"
shift
if [ "$RUNS" != 3 ]; then CMD="RUNS=$RUNS $CMD"; fi
if [ $# -gt 0 ]; then CMD="$CMD $*"; fi
