#!/usr/bin/env bash
# Run a command with the action server beside it on ACTION_PORT (default 5055),
# started once it answers /health and stopped when the command ends.
set -euo pipefail
port="${ACTION_PORT:-5055}"
exec bash bot/tooling/with_server.sh .rasa-data/actions.log "http://127.0.0.1:$port/health" \
  .venv/bin/rasa run actions --port "$port" -- "$@"
