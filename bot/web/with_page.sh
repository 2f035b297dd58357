#!/usr/bin/env bash
# Run a command with the web chat page served beside it: start `python -m bot.web.serve`
# on WEB_PORT (default 8080), wait until it answers, run the command, and stop the
# page server when the command ends, however it ends. Same pattern as
# bot/tooling/with_actions.sh.
set -euo pipefail
port="${WEB_PORT:-8080}"
mkdir -p .rasa-data
.venv/bin/python -m bot.web.serve --port "$port" >.rasa-data/web.log 2>&1 &
page_pid=$!
trap 'kill "$page_pid" 2>/dev/null || true; wait "$page_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  if .venv/bin/python -c "import urllib.request as r; r.urlopen('http://127.0.0.1:$port/', timeout=1)" 2>/dev/null; then break; fi
  if ! kill -0 "$page_pid" 2>/dev/null; then
    echo "The page server did not start; see .rasa-data/web.log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "Web chat page: http://127.0.0.1:$port/ (it connects once Rasa has loaded its model)"
"$@"
