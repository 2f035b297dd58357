"""Delete stored conversations: they are health information.

``forget SENDER_ID`` deletes every event of one conversation (one sender id);
``purge --older-than-days N`` deletes whole conversations whose latest event is
older than N days. Both print what they deleted as counts and sender ids, never
message text, and work on the store chosen as in ``tools/tracker_db.py``
(SQLite or PostgreSQL). ``--dry-run`` shows what would be deleted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from tools.tracker_db import EVENTS, StoreError, describe, open_store, store_url


@dataclass(frozen=True)
class Deleted:
    """Events deleted (or to delete, in a dry run) per sender id."""

    events: dict[str, int]

    @property
    def total(self) -> int:
        """Events over all conversations."""
        return sum(self.events.values())


def _begin(connection: sa.engine.Connection) -> sa.engine.Transaction:
    if connection.dialect.name == "sqlite":
        # SQLite otherwise leaves deleted rows readable in the file's free pages
        # until it is vacuumed; secure_delete overwrites them with zeros.
        connection.exec_driver_sql("PRAGMA secure_delete = ON")
    return connection.begin()


def forget(engine: sa.engine.Engine, sender_id: str, dry_run: bool = False) -> Deleted:
    """Delete every stored event of one sender; one statement, so all or nothing."""
    mine = EVENTS.c.sender_id == sender_id
    with engine.connect() as connection, _begin(connection):
        if dry_run:
            count = connection.execute(sa.select(sa.func.count()).where(mine)).scalar_one()
        else:
            count = connection.execute(sa.delete(EVENTS).where(mine)).rowcount
    return Deleted({sender_id: count} if count else {})


def purge(
    engine: sa.engine.Engine, older_than: dt.timedelta, now: dt.datetime, dry_run: bool = False
) -> Deleted:
    """Delete whole conversations whose latest event is before ``now - older_than``.

    A conversation with no timestamps at all is kept: its age is unknown.
    """
    cutoff = (now - older_than).timestamp()
    old = (
        sa.select(EVENTS.c.sender_id, sa.func.count())
        .group_by(EVENTS.c.sender_id)
        .having(sa.func.max(EVENTS.c.timestamp) < cutoff)
        .order_by(EVENTS.c.sender_id)
    )
    newer = EVENTS.alias("newer")
    deleted: dict[str, int] = {}
    with engine.connect() as connection, _begin(connection):
        for sender_id, count in connection.execute(old).all():
            if dry_run:
                deleted[sender_id] = count
                continue
            # Re-checked in the delete itself: a conversation that got a new
            # message since the select above is no longer old and is kept whole.
            still_old = ~sa.exists().where(
                newer.c.sender_id == sender_id, newer.c.timestamp >= cutoff
            )
            result = connection.execute(
                sa.delete(EVENTS).where(EVENTS.c.sender_id == sender_id, still_old)
            )
            if result.rowcount:
                deleted[sender_id] = result.rowcount
    return Deleted(deleted)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(deleted: Deleted, scope: str, store: str, dry_run: bool) -> str:
    """What was deleted, as counts and sender ids only (never message text).

    ``scope`` says which conversations were asked for. Sender ids are shown with
    ``repr`` because clients choose them: escape sequences in one must not reach
    the terminal.
    """
    if not deleted.events:
        return f"Nothing to delete: no conversation {scope} in {store}.\n"
    lines = [
        f"{'Would delete' if dry_run else 'Deleted'} "
        f"{_plural(len(deleted.events), 'conversation')} ({_plural(deleted.total, 'event')}) "
        f"{scope} from {store}:"
    ]
    lines += [f"  {sender!r}: {_plural(n, 'event')}" for sender, n in deleted.events.items()]
    return "\n".join(lines) + "\n"


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        days = 0
    if days < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of days, 1 or more: {text!r}")
    return days


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.retention",
        description="Delete stored conversations from the tracker store.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    forget_cmd = commands.add_parser("forget", help="delete every stored event of one sender")
    forget_cmd.add_argument("sender_id", help="the conversation's sender id")
    purge_cmd = commands.add_parser(
        "purge", help="delete conversations whose latest event is older than N days"
    )
    purge_cmd.add_argument("--older-than-days", type=_days, required=True, metavar="N")
    for command in (forget_cmd, purge_cmd):
        command.add_argument(
            "--dry-run", action="store_true", help="show what would be deleted, delete nothing"
        )
    return parser


def main(
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Run one command on the tracker store the environment points to."""
    args = _parser().parse_args(argv)
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    try:
        url = store_url(os.environ if env is None else env)
        with open_store(url) as engine:
            if args.command == "forget":
                deleted = forget(engine, args.sender_id, args.dry_run)
                scope = f"with sender id {args.sender_id!r}"
            else:
                age = dt.timedelta(days=args.older_than_days)
                deleted = purge(engine, age, now, args.dry_run)
                scope = f"whose latest event is before {now - age:%Y-%m-%d %H:%M} UTC"
    except (StoreError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    sys.stdout.write(summary(deleted, scope, describe(url), args.dry_run))


if __name__ == "__main__":
    main()
