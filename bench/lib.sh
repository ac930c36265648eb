# Shared by the bench scripts that start servers and load them with wrk:
#   . "$(dirname "$0")/lib.sh"
# Background processes put their pid in PIDS and are killed when the script exits.

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# url_from LOG: waits (up to 2 minutes) for a "listening on http://..." line, or
# LiteLLM's "Uvicorn running on http://...", in a log file and prints the URL.
url_from() {
  for _ in $(seq 1 1200); do
    if grep -qE "(listening on|running on) http" "$1" 2>/dev/null; then
      grep -E "(listening on|running on) http" "$1" | grep -o "http://[0-9.:]*" | head -1
      return
    fi
    sleep 0.1
  done
  echo "no listening line in $1" >&2; cat "$1" >&2; exit 1
}

# post_lua FILE BODY KEY: a wrk script that POSTs the JSON BODY with a bearer KEY.
post_lua() {
  cat >"$1" <<LUA
wrk.method = "POST"
wrk.body = '$2'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $3"
LUA
}
