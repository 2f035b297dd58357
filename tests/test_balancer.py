"""The load balancer's configuration sends each kind of traffic where it belongs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bot.server.balancer import HEALTH_PATH, haproxy_config


def backend(config: str, name: str) -> str:
    """The lines of one backend section."""
    return config.split(f"backend {name}\n", 1)[1].split("\n\n", 1)[0]


def test_every_replica_serves_both_rest_and_socketio_behind_one_port() -> None:
    config = haproxy_config(5005, [("127.0.0.1", 5006), ("127.0.0.1", 5007)])

    assert "bind 127.0.0.1:5005" in config
    for name in ("replicas", "socketio"):
        servers = re.findall(r"server \S+ (\S+) check", backend(config, name))
        assert servers == ["127.0.0.1:5006", "127.0.0.1:5007"]


def test_rest_and_slack_go_to_the_least_busy_replica_and_socketio_stays_on_one() -> None:
    config = haproxy_config(5005, [("127.0.0.1", 5006), ("127.0.0.1", 5007)])

    assert "balance leastconn" in backend(config, "replicas")
    assert "balance source" in backend(config, "socketio")
    assert "use_backend socketio if socketio" in config


def test_a_replica_gets_traffic_only_while_its_rest_channel_answers() -> None:
    config = haproxy_config(5005, [("127.0.0.1", 5006)])

    for name in ("replicas", "socketio"):
        assert f"option httpchk GET {HEALTH_PATH}" in backend(config, name)
    assert "retry-on conn-failure empty-response" in config


def test_a_balancer_without_replicas_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one replica"):
        haproxy_config(5005, [])


@pytest.mark.server
def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    path = tmp_path / "haproxy.cfg"
    path.write_text(
        haproxy_config(5005, [("127.0.0.1", 5006), ("127.0.0.1", 5007)]), encoding="utf-8"
    )

    checked = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True)

    assert checked.returncode == 0, checked.stdout + checked.stderr
