#!/bin/sh
# Starts one Rasa replica in its container the way `make run` starts one here: the
# endpoints and credentials are rendered from the environment by the project's own
# modules (so secrets stay ${VAR} references that Rasa reads at start), then the
# command given (the image's CMD, bot.server.rasa_cli) replaces this shell.
set -eu

conf=/tmp/rasa-config
mkdir -p "$conf"
python -m bot.server.endpoints > "$conf/endpoints.yml"

files=credentials.yml
if [ -n "${SLACK_TOKEN-}" ]; then
    if [ -z "${SLACK_SIGNING_SECRET-}" ]; then
        echo "SLACK_TOKEN is set: set SLACK_SIGNING_SECRET too" >&2
        exit 1
    fi
    files="$files credentials.slack.yml"
fi
# Rasa refuses to start on an unset ${VAR} in its credentials; empty means DMs and mentions.
export SLACK_CHANNEL="${SLACK_CHANNEL-}"
# shellcheck disable=SC2086  # two file names at most, neither with spaces
python -m bot.channels.credentials $files > "$conf/credentials.yml"

case "${ENABLE_API-}" in
    1 | true | yes)
        if [ -z "${RASA_AUTH_TOKEN-}" ]; then
            echo "ENABLE_API=1 needs RASA_AUTH_TOKEN, so the HTTP API is never served without a token" >&2
            exit 1
        fi
        set -- "$@" --enable-api --auth-token "$RASA_AUTH_TOKEN"
        ;;
esac
exec "$@"
