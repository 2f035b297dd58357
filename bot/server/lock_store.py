"""Rasa's Redis lock store, with every change to a conversation's lock made atomically.

Replicas keep each conversation's messages in order with a ticket lock in Redis: a
message takes a ticket and waits until it is first in line. Rasa 3.6's
``RedisLockStore`` changes a lock by reading it, changing it in Python and writing it
back. When two replicas get messages of one conversation at the same moment, both read
the same lock, both write a ticket with the same number, and both go ahead: the two
turns run at once, and the SQL tracker store then keeps only one of them (the replica
tests lost one turn in three this way). Here each change is a Redis transaction that
is tried again if another replica changed the lock in between (``WATCH``), so tickets
are issued, finished and removed one at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
Change = Callable[[TicketLock | None], tuple[TicketLock | None, T]]


class AtomicRedisLockStore(RedisLockStore):
    """A Redis ticket lock store that replicas can share safely."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **options: Any) -> None:
        """Take Rasa's endpoint settings (``url``, ``port``, ``db``...) or keyword options."""
        if endpoint_config is not None:
            options = {**endpoint_config.kwargs, **options}
            options.setdefault("host", endpoint_config.url or "localhost")
        super().__init__(**options)

    def _change(self, conversation_id: str, change: Change[T]) -> T:
        """Apply ``change`` to the stored lock (None when there is none) in one transaction.

        ``change`` returns the lock to store (None deletes it) and a result to return.
        """
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(stored)) if stored else None
                    changed, result = change(lock)
                    pipe.multi()
                    if changed is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, changed.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another replica changed the lock first: read it again

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket for ``conversation_id``, after every ticket issued before it."""

        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Drop the expired tickets of the lock, if there is one."""

        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove ticket ``ticket_number``: the next in line may go."""

        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove ticket ``ticket_number``, and the lock too when nobody else waits."""

        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish)
