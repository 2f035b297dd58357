#!/usr/bin/env bash
# Run a command with a server beside it:
#   with_server.sh LOG HEALTH_URL SERVER_COMMAND... -- COMMAND...
# starts SERVER_COMMAND in the background (output to LOG), waits until HEALTH_URL
# answers, runs COMMAND, and stops the server when COMMAND ends, however it ends.
set -euo pipefail
log="$1"
url="$2"
shift 2
server=()
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  server+=("$1")
  shift
done
[ "$#" -gt 0 ] && shift
mkdir -p "$(dirname "$log")"
"${server[@]}" >"$log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  if .venv/bin/python -c "import urllib.request as r; r.urlopen('$url', timeout=1)" 2>/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "${server[0]} did not start; see $log" >&2
    exit 1
  fi
  sleep 0.5
done
"$@"
