"""Open the tracker store that Rasa's SQLTrackerStore writes: its ``events`` table.

The store is chosen like ``bot/server/endpoints.py``: SQLite at ``SQLITE_PATH``
(``.rasa-data/tracker.db``) by default, PostgreSQL when ``TRACKER_STORE=postgres``
(``DB_HOST``, ``DB_PORT``, ``DB_NAME``, ``DB_USER``, ``DB_PASSWORD``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from bot.server.endpoints import render

# Only the columns the tools use; the table is created and owned by Rasa
# (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent). ``id`` is the insertion order;
# ``timestamp`` is Unix seconds.
EVENTS = sa.table(
    "events",
    sa.column("id"),
    sa.column("sender_id"),
    sa.column("type_name"),
    sa.column("timestamp"),
    sa.column("intent_name"),
    sa.column("data"),
)


class StoreError(Exception):
    """The tracker store is missing or cannot be opened."""


def store_url(env: Mapping[str, str]) -> sa.engine.URL:
    """The SQLAlchemy URL of the tracker store the environment points to."""
    config = render(env)["tracker_store"]
    if config["dialect"] == "sqlite":
        return sa.engine.URL.create("sqlite", database=str(config["db"]))
    return sa.engine.URL.create(
        "postgresql",
        username=config["username"],
        password=env.get("DB_PASSWORD"),
        host=config["url"],
        port=config["port"],
        database=config["db"],
    )


def describe(url: sa.engine.URL) -> str:
    """The store's name for people to read, without any password."""
    if url.drivername == "sqlite":
        return f"SQLite {url.database}"
    return f"PostgreSQL {url.host}:{url.port}/{url.database}"


def require_sqlite_file(url: sa.engine.URL) -> None:
    """Raise StoreError when the URL names an SQLite file that does not exist.

    Connecting would otherwise create an empty database file in its place.
    """
    if url.drivername == "sqlite" and not Path(str(url.database)).is_file():
        raise StoreError(f"no tracker store at {url.database} (talk to the assistant first?)")


@contextmanager
def open_store(url: sa.engine.URL | str) -> Iterator[sa.engine.Engine]:
    """An engine on an existing store with an ``events`` table, disposed of afterwards."""
    url = sa.engine.make_url(url)
    require_sqlite_file(url)
    engine = sa.create_engine(url)
    try:
        try:
            has_events = sa.inspect(engine).has_table("events")
        except sa.exc.DBAPIError as exc:
            # The driver's message names host and port, never the password.
            message = f"cannot open the tracker store ({describe(url)}): {exc.orig}"
            raise StoreError(message) from exc
        if not has_events:
            raise StoreError(f"no events table in the tracker store ({describe(url)})")
        yield engine
    finally:
        engine.dispose()
