#!/usr/bin/env bash
# Run a command with the web chat page served beside it on WEB_PORT (default 8080),
# started once it answers and stopped when the command ends.
set -euo pipefail
port="${WEB_PORT:-8080}"
echo "Web chat page: http://127.0.0.1:$port/ (it connects once Rasa has loaded its model)"
exec bash bot/tooling/with_server.sh .rasa-data/web.log "http://127.0.0.1:$port/" \
  .venv/bin/python -m bot.web.serve --port "$port" -- "$@"
