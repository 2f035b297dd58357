"""Rasa's command line, with what the project needs in place before Rasa starts.

``python -m bot.server.rasa_cli run ...`` takes the same arguments as ``rasa``.

- It installs :mod:`bot.server.action_fallback`, so that a down or hanging action
  server costs the user at most ``ACTION_TIMEOUT`` seconds and a safe reply,
  never silence.
- It installs :mod:`bot.server.action_validation`: Rasa checks each action server reply
  against a JSON schema, and re-checked the schema itself every time (a fifth of the
  server's time under load, ``make bench-load``).
- It runs numpy's BLAS (OpenBLAS) on one thread. With more, OpenBLAS's worker
  threads keep spinning after every small matrix product of a message, and the
  server used about twice the CPU time per turn for the same throughput
  (``make bench-load``). The setting must be in the environment before numpy is
  first imported, so Rasa is imported only in :func:`main`.
- It installs :mod:`bot.server.model_loading`: DIET's weights are loaded without the
  training step Rasa runs first, most of the server's start-up time.
- It installs :mod:`bot.server.tracker_saving` and :mod:`bot.server.event_types`:
  saving a turn no longer counts the conversation's stored events first (a query per
  turn), and reading events no longer lists every event class for each one.
- For ``run`` and ``shell`` it first connects to the SQL tracker store named in
  ``--endpoints``. Rasa 3.6 starts anyway when it cannot, and then keeps every
  conversation in memory only, where a restart loses it; this refuses to start
  instead, with the reason (see "Troubleshooting" in docs/operations.md). It checks the
  Redis lock store the same way: without it, Rasa would start and then fail every message.

``make run``, ``make chat`` and the tests start Rasa this way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping, Sequence

import sqlalchemy as sa

from bot.server.endpoints import REDIS_LOCK_STORE

CONNECT_TIMEOUT_SECONDS = 5
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1"}
"""Set for the server unless the environment already chooses otherwise."""


class StoreUnavailable(Exception):
    """The configured tracker store or lock store cannot be reached."""


def endpoints_path(argv: Sequence[str]) -> str | None:
    """The ``--endpoints`` file of a ``rasa run`` or ``rasa shell`` command line, if any."""
    if not argv or argv[0] not in {"run", "shell"} or (len(argv) > 1 and argv[1] == "actions"):
        return None
    for i, arg in enumerate(argv):
        if arg == "--endpoints" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--endpoints="):
            return arg.split("=", 1)[1]
    return "endpoints.yml"


def check_tracker_store(endpoints: str) -> None:
    """Connect once to the SQL tracker store of ``endpoints``; raise if that fails."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    config = read_endpoint_config(endpoints, "tracker_store")
    if config is None or str(config.type).lower() != "sql":
        return
    options = config.kwargs
    dialect = options.get("dialect", "sqlite")
    url = SQLTrackerStore.get_db_url(
        dialect,
        config.url,
        options.get("port"),
        options.get("db", "rasa.db"),
        options.get("username"),
        options.get("password"),
        options.get("login_db"),
        options.get("query"),
    )
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if "postgres" in dialect else {}
    engine = sa.create_engine(url, connect_args=connect_args)
    try:
        with engine.connect():
            pass
    except sa.exc.SQLAlchemyError as error:
        where = f"{dialect} at {config.url or ''}:{options.get('port', '')}/{options.get('db', '')}"
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise StoreUnavailable(
            f"Cannot reach the tracker store ({where}): {reason}. Not starting, because "
            "Rasa would keep conversations in memory only and lose them on restart. "
            "See 'Troubleshooting' in docs/operations.md."
        ) from None
    finally:
        engine.dispose()


def check_lock_store(endpoints: str) -> None:
    """Ping the Redis lock store of ``endpoints``, if it has one; raise if that fails.

    The store is made from the endpoint settings as Rasa makes it (password, TLS,
    database), so the check reaches Redis the way the server will.
    """
    import redis
    from rasa.utils.endpoints import read_endpoint_config

    from bot.server.lock_store import AtomicRedisLockStore

    config = read_endpoint_config(endpoints, "lock_store")
    if config is None or config.type not in ("redis", REDIS_LOCK_STORE):
        return
    options = config.kwargs
    where = f"redis at {config.url}:{options.get('port', 6379)}/{options.get('db', 1)}"
    client = AtomicRedisLockStore(config, socket_timeout=CONNECT_TIMEOUT_SECONDS).red
    try:
        client.ping()
    except redis.RedisError as error:
        raise StoreUnavailable(
            f"Cannot reach the lock store ({where}): {error}. Not starting, because "
            "every message would fail. See 'Troubleshooting' in docs/operations.md."
        ) from None
    finally:
        client.close()


def use_one_blas_thread(environ: MutableMapping[str, str]) -> None:
    """Ask for one BLAS thread, unless ``environ`` already sets the number."""
    for name, value in ONE_THREAD.items():
        environ.setdefault(name, value)


def main() -> None:
    """Check the stores, install the action fallback, then run Rasa's command line."""
    use_one_blas_thread(os.environ)
    from rasa.__main__ import main as rasa_main

    from bot.server import (
        action_fallback,
        action_validation,
        event_types,
        model_loading,
        tracker_saving,
    )

    endpoints = endpoints_path(sys.argv[1:])
    if endpoints is not None:
        try:
            check_tracker_store(endpoints)
            check_lock_store(endpoints)
        except StoreUnavailable as error:
            sys.exit(f"ERROR {error}")
    action_fallback.install(action_fallback.action_timeout())
    action_validation.install()
    model_loading.install()
    tracker_saving.install()
    event_types.install()
    rasa_main()


if __name__ == "__main__":
    main()
