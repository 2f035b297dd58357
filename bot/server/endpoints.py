"""Render Rasa's endpoints file from environment variables.

Rasa's own ``${VAR}`` expansion has no defaults, so ``make`` renders
``.rasa-data/endpoints.yml`` from the environment instead. The committed
``endpoints.yml`` is this rendering with every default, for plain ``rasa shell``.

Variables: ``ACTION_HOST`` (127.0.0.1; in a container deployment, ``deploy/``, the
action server's host name) and ``ACTION_PORT`` (5055); ``TRACKER_STORE`` (``sqlite``
or ``postgres``); for SQLite ``SQLITE_PATH`` (``.rasa-data/tracker.db``); for
PostgreSQL ``DB_HOST``, ``DB_PORT``, ``DB_NAME``, ``DB_USER`` and ``DB_PASSWORD`` (when
set, the password is left as ``${DB_PASSWORD}`` for Rasa to read at start, so it is
never written to disk); ``LOCK_STORE`` (``in_memory``, or ``redis``: replicas that
share conversations keep each one's messages in order with it,
:mod:`bot.server.lock_store`), with ``REDIS_HOST`` (127.0.0.1), ``REDIS_PORT`` (6379),
``REDIS_DB`` (1) and ``REDIS_PASSWORD`` (left as ``${REDIS_PASSWORD}`` when set).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import yaml

REDIS_LOCK_STORE = "bot.server.lock_store.AtomicRedisLockStore"
"""Rasa's Redis lock store made safe for replicas (see that module)."""
HEADER = "# Rendered by `python -m bot.server.endpoints`; see that module for the variables.\n"


def render(env: Mapping[str, str]) -> dict[str, Any]:
    """The endpoints configuration for the given environment."""
    store = env.get("TRACKER_STORE", "sqlite")
    tracker: dict[str, Any]
    if store == "sqlite":
        tracker = {
            "type": "SQL",
            "dialect": "sqlite",
            "db": env.get("SQLITE_PATH", ".rasa-data/tracker.db"),
        }
    elif store == "postgres":
        tracker = {
            "type": "SQL",
            "dialect": "postgresql",
            "url": env.get("DB_HOST", "127.0.0.1"),
            "port": int(env.get("DB_PORT", "5432")),
            "db": env.get("DB_NAME", "rasa"),
            "username": env.get("DB_USER", "rasa"),
        }
        if env.get("DB_PASSWORD"):
            tracker["password"] = "${DB_PASSWORD}"
    else:
        raise ValueError(f"TRACKER_STORE must be 'sqlite' or 'postgres', not {store!r}")
    host = env.get("ACTION_HOST", "127.0.0.1")
    port = int(env.get("ACTION_PORT", "5055"))
    config: dict[str, Any] = {
        "action_endpoint": {"url": f"http://{host}:{port}/webhook"},
        "tracker_store": tracker,
    }
    lock = env.get("LOCK_STORE", "in_memory")
    if lock == "redis":
        config["lock_store"] = redis_lock_store(env)
    elif lock != "in_memory":
        raise ValueError(f"LOCK_STORE must be 'in_memory' or 'redis', not {lock!r}")
    return config


def redis_lock_store(env: Mapping[str, str]) -> dict[str, Any]:
    """Rasa's Redis lock store settings."""
    store: dict[str, Any] = {
        "type": REDIS_LOCK_STORE,
        "url": env.get("REDIS_HOST", "127.0.0.1"),
        "port": int(env.get("REDIS_PORT", "6379")),
        "db": int(env.get("REDIS_DB", "1")),
        "key_prefix": "ketamine",
    }
    if env.get("REDIS_PASSWORD"):
        store["password"] = "${REDIS_PASSWORD}"
    return store


def to_yaml(config: Mapping[str, Any]) -> str:
    """The endpoints configuration as the YAML text Rasa reads."""
    return HEADER + yaml.safe_dump(dict(config), sort_keys=False)


def main() -> None:
    """Print the endpoints file for the current environment."""
    try:
        sys.stdout.write(to_yaml(render(os.environ)))
    except ValueError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
