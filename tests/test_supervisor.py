"""The supervisor stops every server it started, however it ends (real processes)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.processes import family, leftovers
from tools.stack import LAUNCH, ROOT, free_port, running, wait_for_http


@dataclass
class Stack:
    """A running ``tests.fake_stack`` and what it was given."""

    process: subprocess.Popen[bytes]
    output: Path
    ports: list[int]
    logs: Path

    def text(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, words: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while words not in self.text():
            assert self.process.poll() is None or words in self.text(), self.text()
            assert time.monotonic() < deadline, f"no {words!r} in:\n{self.text()}"
            time.sleep(0.1)

    def finish(self, timeout: float = 30.0) -> int:
        return self.process.wait(timeout=timeout)


def start(tmp_path: Path, *extra: str, parent: list[str] | None = None) -> Stack:
    """Start the fake stack with two side servers, in its own session as a terminal would."""
    ports = [free_port(), free_port(), free_port()]
    command = [sys.executable, "-m", "tests.fake_stack", "--logs", str(tmp_path)]
    command += ["--main", str(ports[0]), "--side", str(ports[1]), "--side", str(ports[2])]
    output = tmp_path / "output.txt"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [*(parent or []), *command, *extra],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Stack(process, output, ports, tmp_path)


def server(stack: Stack, port: int) -> psutil.Process:
    """The fake HTTP server listening on ``port``."""
    return next(
        p
        for p in family(stack.process.pid)
        if p.cmdline()[-3:] == ["--bind", "127.0.0.1", str(port)]
    )


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    started = start(tmp_path)
    yield started
    if started.process.poll() is None:
        os.killpg(started.process.pid, signal.SIGKILL)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_ends_every_server_and_frees_every_port(stack: Stack, signum: int) -> None:
    stack.wait_for("all ready")
    everything = family(stack.process.pid)
    assert len(everything) >= 7  # the supervisor, three servers and their three children

    os.kill(stack.process.pid, signum)

    assert stack.finish() == 128 + signum
    assert leftovers(everything, stack.ports) == []


def test_ctrl_c_to_the_whole_terminal_group_ends_everything(stack: Stack) -> None:
    stack.wait_for("all ready")
    everything = family(stack.process.pid)

    os.killpg(stack.process.pid, signal.SIGINT)

    stack.finish()
    assert leftovers(everything, stack.ports) == []


def test_a_crashed_server_stops_the_others_and_is_named_with_its_log(stack: Stack) -> None:
    stack.wait_for("all ready")
    everything = family(stack.process.pid)
    server(stack, stack.ports[1]).kill()

    assert stack.finish() != 0
    assert leftovers(everything, stack.ports) == []
    text = stack.text()
    assert "The side0 stopped (exit code" in text
    assert str(stack.logs / "side0.log") in text


def test_when_its_parent_is_killed_everything_stops(tmp_path: Path) -> None:
    # The parent stands for `make`: it is killed outright and cannot pass anything on.
    parent = [sys.executable, "-c", "import subprocess, sys; subprocess.run(sys.argv[1:])"]
    stack = start(tmp_path, parent=parent)
    stack.wait_for("all ready")
    everything = family(stack.process.pid)

    stack.process.kill()
    stack.finish()

    assert leftovers(everything, stack.ports) == []


def test_when_the_supervisor_is_killed_outright_its_servers_stop_too(stack: Stack) -> None:
    stack.wait_for("all ready")
    everything = family(stack.process.pid)
    servers = [p for p in everything if "http.server" in " ".join(p.cmdline())]

    stack.process.kill()
    stack.finish()

    assert leftovers(servers, stack.ports) == []
    # What the servers started themselves is out of the kernel's reach (docs/running.md).
    for process in everything:
        with contextlib.suppress(psutil.Error):
            process.kill()


def test_a_server_that_never_gets_ready_stops_the_command_with_its_log(tmp_path: Path) -> None:
    silent = free_port()
    stack = start(tmp_path, "--silent", str(silent), "--timeout", "3")
    stack.wait_for("Starting the silent")
    everything = family(stack.process.pid)

    assert stack.finish() == 1
    text = stack.text()
    assert f"did not answer http://127.0.0.1:{silent}/ within 3 s" in text
    assert "warming up" in text  # the last lines of its log
    assert leftovers(everything, stack.ports) == []


def test_a_busy_port_is_named_with_its_holder_and_setting_and_nothing_starts(
    tmp_path: Path,
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        stack = start(tmp_path, "--side", str(busy))

        assert stack.finish() == 2
        text = stack.text()
        assert f"Port {busy} for the side2 is already in use" in text
        assert f"held by pid {os.getpid()}" in text
        assert "SIDE2_PORT=<port>" in text
        assert "Starting" not in text


@pytest.mark.server
def test_the_action_server_alone_starts_checked_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {"ACTION_PORT": str(port), "LOG_DIR": str(tmp_path)}
    log = tmp_path / "launch.log"
    banner = f"Action server on http://127.0.0.1:{port}."
    with running([*LAUNCH, "actions"], env, log) as process:
        wait_for_http(f"http://127.0.0.1:{port}/health", process, log)
        # The launcher sees the server ready at its own next check, a moment later.
        deadline = time.monotonic() + 30
        while banner not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == 128 + signal.SIGINT
    said = log.read_text(encoding="utf-8")
    assert "Clinic: none, answers stay general" in said
    assert banner in said
    assert (tmp_path / "actions.log").exists()


def test_replicas_start_together_and_one_that_ends_is_started_again(tmp_path: Path) -> None:
    replicas = [free_port(), free_port()]
    stack = start(
        tmp_path,
        "--replica",
        str(replicas[0]),
        "--replica",
        str(replicas[1]),
        "--crash-loop",
        "0.2",
    )
    stack.wait_for("all ready")
    assert f"replica0 on port {replicas[0]} and the replica1 on port {replicas[1]}" in stack.text()
    time.sleep(0.5)  # past the fake stack's crash-loop guard below

    server(stack, replicas[0]).kill()

    stack.wait_for("The replica0 stopped (exit code -9)")
    stack.wait_for("starting it again")
    wait_for_http(f"http://127.0.0.1:{replicas[0]}/", stack.process, stack.output)
    assert stack.process.poll() is None  # the others kept running
    everything = family(stack.process.pid)
    os.kill(stack.process.pid, signal.SIGTERM)
    stack.finish()
    assert leftovers(everything, [*stack.ports, *replicas]) == []


def test_a_replica_that_ends_right_after_starting_stops_everything(tmp_path: Path) -> None:
    replica = free_port()
    stack = start(tmp_path, "--replica", str(replica), "--crash-loop", "600")
    stack.wait_for("all ready")
    everything = family(stack.process.pid)

    server(stack, replica).kill()

    assert stack.finish() != 0
    assert "The replica0 stopped (exit code" in stack.text()
    assert "starting it again" not in stack.text()
    assert leftovers(everything, [*stack.ports, replica]) == []
