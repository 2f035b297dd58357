"""What a running server exposes: interfaces, the HTTP API, and what its logs hold."""

from __future__ import annotations

import json
import secrets
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import say
from tools.stack import MODEL, started

# A made-up word that appears nowhere else, so finding it in a log means message text leaked.
MARKER = "zorbulent"


@dataclass(frozen=True)
class Stack:
    url: str
    rasa_port: int
    action_port: int
    token: str
    logs: tuple[Path, ...]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Rasa with the HTTP API on and a token, as `make run ENABLE_API=1` starts it."""
    assert MODEL.exists(), "train first: make train"
    folder = tmp_path_factory.mktemp("security")
    token = secrets.token_hex(16)
    api = ("--enable-api", "--auth-token", token)
    with started(folder, rasa_args=api) as servers:
        say(servers.url, "log-check", f"is {MARKER} ketamine safe for my heart?")
        logs = (servers.rasa_log, folder / "actions.log")
        yield Stack(servers.url, servers.rasa_port, servers.action_port, token, logs)


def listening_addresses(port: int) -> set[str]:
    """The local IPv4/IPv6 addresses with a listening TCP socket on ``port`` (/proc/net)."""
    found = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if int(port_hex, 16) != port or fields[3] != "0A":  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # /proc/net prints each 32-bit word in host (little-endian) order.
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, raw))
    return found


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        with error:
            return error.code


@pytest.mark.model
def test_rasa_listens_on_loopback_only(stack: Stack) -> None:
    assert listening_addresses(stack.rasa_port) == {"127.0.0.1"}


@pytest.mark.model
def test_the_action_server_listens_on_loopback_only(stack: Stack) -> None:
    assert listening_addresses(stack.action_port) == {"127.0.0.1"}


@pytest.mark.model
def test_the_http_api_refuses_requests_without_the_token(stack: Stack) -> None:
    assert status(f"{stack.url}/conversations/log-check/tracker") == 401
    assert status(f"{stack.url}/status") == 401


@pytest.mark.model
def test_the_http_api_answers_with_the_token(stack: Stack) -> None:
    url = f"{stack.url}/conversations/log-check/tracker?token={stack.token}"
    with urllib.request.urlopen(url, timeout=30) as reply:
        tracker = json.loads(reply.read())
    assert any(MARKER in (e.get("text") or "") for e in tracker["events"])


@pytest.mark.model
def test_info_logs_hold_no_message_text(stack: Stack) -> None:
    for log in stack.logs:
        assert MARKER not in log.read_text(encoding="utf-8", errors="replace"), log.name
