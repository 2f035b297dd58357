#!/usr/bin/env bash
# Run a command with the action server beside it on ACTION_PORT (default 5055; log in
# ACTIONS_LOG, default .rasa-data/actions.log),
# started once it answers /health and stopped when the command ends. It listens on
# 127.0.0.1 only (rasa-sdk 3.6 has no flag for the interface; it reads SANIC_HOST).
set -euo pipefail
port="${ACTION_PORT:-5055}"
exec bash bot/tooling/with_server.sh "${ACTIONS_LOG:-.rasa-data/actions.log}" "http://127.0.0.1:$port/health" \
  env SANIC_HOST=127.0.0.1 .venv/bin/rasa run actions --port "$port" -- "$@"
