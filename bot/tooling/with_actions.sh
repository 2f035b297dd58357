#!/usr/bin/env bash
# Run a command with the action server beside it: start `rasa run actions` on
# ACTION_PORT (default 5055), wait until it answers /health, run the command,
# and stop the action server when the command ends, however it ends.
set -euo pipefail
port="${ACTION_PORT:-5055}"
mkdir -p .rasa-data
.venv/bin/rasa run actions --port "$port" >.rasa-data/actions.log 2>&1 &
actions_pid=$!
trap 'kill "$actions_pid" 2>/dev/null || true; wait "$actions_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  if .venv/bin/python -c "import urllib.request as r; r.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then break; fi
  if ! kill -0 "$actions_pid" 2>/dev/null; then
    echo "The action server did not start; see .rasa-data/actions.log" >&2
    exit 1
  fi
  sleep 0.5
done
"$@"
