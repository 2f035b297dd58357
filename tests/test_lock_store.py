"""The Redis lock store keeps one conversation's turns one at a time across replicas."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from bot.server.endpoints import REDIS_LOCK_STORE, render, to_yaml
from bot.server.lock_store import AtomicRedisLockStore
from bot.server.rasa_cli import StoreUnavailable, check_lock_store
from tests.servers import redis_server
from tools.stack import free_port

pytestmark = pytest.mark.server

REPLICAS = 4


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    with redis_server() as (port, _):
        yield port


def store(port: int) -> AtomicRedisLockStore:
    """One replica's lock store: its own connection to the shared Redis."""
    return AtomicRedisLockStore(host="127.0.0.1", port=port, db=2, key_prefix="test")


def on_replicas(work: list[Callable[[], None]]) -> None:
    """Run each callable in its own thread at the same moment, as replicas would."""
    start = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        start.wait()
        try:
            job()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_replicas_asking_at_once_get_different_tickets(redis_port: int) -> None:
    tickets: list[int] = []
    stores = [store(redis_port) for _ in range(REPLICAS)]

    def issue(replica: AtomicRedisLockStore) -> None:
        tickets.extend(replica.issue_ticket("at-once") for _ in range(25))

    on_replicas([partial(issue, replica) for replica in stores])

    assert sorted(tickets) == list(range(REPLICAS * 25))


def test_turns_of_one_conversation_on_several_replicas_never_overlap(redis_port: int) -> None:
    inside: list[int] = []
    overlaps: list[int] = []

    def serve(replica: AtomicRedisLockStore, name: int) -> None:
        async def turns() -> None:
            for _ in range(5):
                async with replica.lock("one-conversation", wait_time_in_seconds=0.01):
                    inside.append(name)
                    if len(inside) > 1:
                        overlaps.append(name)
                    await asyncio.sleep(0.01)
                    inside.remove(name)

        asyncio.run(turns())

    replicas = [store(redis_port) for _ in range(REPLICAS)]
    on_replicas([partial(serve, replica, n) for n, replica in enumerate(replicas)])

    assert overlaps == []


def test_the_lock_is_removed_once_nobody_waits(redis_port: int) -> None:
    replica = store(redis_port)
    first = replica.issue_ticket("tidy")
    second = replica.issue_ticket("tidy")

    replica.cleanup("tidy", first)
    assert replica.get_lock("tidy") is not None  # the second still waits
    replica.cleanup("tidy", second)
    assert replica.get_lock("tidy") is None


def test_rasa_finds_the_lock_store_by_the_type_in_the_endpoints_file(redis_port: int) -> None:
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import EndpointConfig

    config = EndpointConfig(url="127.0.0.1", type=REDIS_LOCK_STORE, port=redis_port, db=2)
    created = LockStore.create(config)

    assert isinstance(created, AtomicRedisLockStore)
    assert created.issue_ticket("found") == 0


def test_the_server_start_check_names_an_unreachable_lock_store(tmp_path: Path) -> None:
    closed = free_port()
    endpoints = tmp_path / "endpoints.yml"
    config = {"LOCK_STORE": "redis", "REDIS_PORT": str(closed)}
    endpoints.write_text(to_yaml(render(config)), encoding="utf-8")

    with pytest.raises(
        StoreUnavailable, match=f"Cannot reach the lock store \\(redis at 127.0.0.1:{closed}/1\\)"
    ):
        check_lock_store(str(endpoints))


def test_the_server_start_check_passes_a_reachable_lock_store(
    tmp_path: Path, redis_port: int
) -> None:
    endpoints = tmp_path / "endpoints.yml"
    config = {"LOCK_STORE": "redis", "REDIS_PORT": str(redis_port)}
    endpoints.write_text(to_yaml(render(config)), encoding="utf-8")

    check_lock_store(str(endpoints))
