"""What the launcher starts for `make run REPLICAS=N`, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.server.launch import replica_ports, services
from bot.server.supervisor import Service

SHARED = {"TRACKER_STORE": "postgres", "LOCK_STORE": "redis"}
ELSEWHERE = {**SHARED, "DB_HOST": "db.internal", "REDIS_HOST": "cache.internal"}


@pytest.fixture
def haproxy_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The launcher finds HAProxy, so these tests need no system package."""
    monkeypatch.setattr("bot.server.launch.shutil.which", lambda name: f"/usr/sbin/{name}")


def flat(sides: list) -> list[Service]:
    return [s for side in sides for s in ([side] if isinstance(side, Service) else side)]


def test_one_replica_is_one_rasa_server_on_the_rasa_port(tmp_path: Path) -> None:
    sides, main = services("run", [], False, {"LOG_DIR": str(tmp_path)})

    assert main.name == "Rasa server" and main.port == 5005
    assert [s.name for s in flat(sides)] == ["action server"]


def test_replicas_follow_the_rasa_port_unless_their_ports_are_given() -> None:
    assert replica_ports({"REPLICAS": "3", "RASA_PORT": "6000"}) == [6001, 6002, 6003]
    assert replica_ports({"REPLICAS": "2", "REPLICA_PORTS": "7001, 7005"}) == [7001, 7005]
    assert replica_ports({}) == []


def test_one_replica_goes_behind_the_balancer_only_when_its_port_is_named() -> None:
    assert replica_ports({"REPLICAS": "1"}) == []
    assert replica_ports({"REPLICAS": "1", "REPLICA_PORTS": "7001"}) == [7001]


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"REPLICAS": "two"}, "not a number of replicas"),
        ({"REPLICAS": "2", "REPLICA_PORTS": "7001"}, "names 1 ports for REPLICAS=2"),
        ({"REPLICAS": "2", "REPLICA_PORTS": "7001,http"}, "REPLICA_PORTS='http'"),
    ],
)
def test_a_wrong_replica_setting_is_named(env: dict[str, str], problem: str) -> None:
    with pytest.raises(SystemExit, match=problem):
        replica_ports(env)


@pytest.mark.usefixtures("haproxy_installed")
def test_replicas_start_together_behind_the_balancer_on_the_rasa_port(tmp_path: Path) -> None:
    env = {**ELSEWHERE, "REPLICAS": "2", "LOG_DIR": str(tmp_path)}
    sides, main = services("run", ["-m", "model.tar.gz"], False, env)

    assert main.name == "load balancer" and main.port == 5005
    replicas = sides[-1]
    assert isinstance(replicas, list) and [r.port for r in replicas] == [5006, 5007]
    assert all(
        r.restart and r.command[-4:] == ["-i", "127.0.0.1", "-p", str(r.port)] for r in replicas
    )
    assert "server replica2 127.0.0.1:5007 check" in (tmp_path / "haproxy.cfg").read_text()


@pytest.mark.usefixtures("haproxy_installed")
def test_named_stores_are_used_and_none_is_started(tmp_path: Path) -> None:
    env = {**ELSEWHERE, "REPLICAS": "2", "LOG_DIR": str(tmp_path)}
    sides, _ = services("run", [], False, env)

    assert [s.name for s in flat(sides)][:1] == ["action server"]


@pytest.mark.server
def test_without_named_stores_the_launcher_runs_postgres_and_redis(tmp_path: Path) -> None:
    env = {**SHARED, "REPLICAS": "2", "LOG_DIR": str(tmp_path)}
    sides, _ = services("run", [], False, env)

    names = [s.name for s in flat(sides)]
    assert names[:3] == ["PostgreSQL server", "Redis server", "action server"]
    assert not (tmp_path / "postgres").exists()  # made when the server starts, not before


@pytest.mark.parametrize("missing", ["TRACKER_STORE", "LOCK_STORE"])
def test_replicas_refuse_a_store_they_cannot_share(tmp_path: Path, missing: str) -> None:
    env = {**ELSEWHERE, "REPLICAS": "2", "LOG_DIR": str(tmp_path)}
    del env[missing]

    with pytest.raises(SystemExit, match="TRACKER_STORE=postgres and LOCK_STORE=redis"):
        services("run", [], False, env)


def test_rasa_shell_ignores_replicas(tmp_path: Path) -> None:
    env = {**ELSEWHERE, "REPLICAS": "2", "LOG_DIR": str(tmp_path)}
    _, main = services("shell", [], False, env)

    assert main.name == "Rasa server" and main.interactive
