"""`make chat`, `make run` and `make web` leave nothing behind, however they end.

Each command is typed into an interactive shell in a terminal of its own (a pty),
on free ports, and ended the ways a person ends it: Ctrl-C, closing the window (the terminal hangs
up), ``kill`` or ``kill -9`` of ``make``, ``kill`` of the launcher, ``/stop``, or
one of its servers crashing. Afterwards no process it started may run and no port
it used may listen.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pexpect
import psutil
import pytest

from tests.processes import family, leftovers
from tools.stack import MODEL, ROOT, START_TIMEOUT, free_port

pytestmark = pytest.mark.model

PORT_SETTINGS = ("RASA_PORT", "ACTION_PORT", "WEB_PORT")
# What each command prints once all its servers are started (the model may still load).
STARTED = {
    "chat": "Loading the model",
    "run": "Starting the Rasa server",
    "web": "Starting the Rasa server",
}
NOISE = re.compile(r"Traceback|tensorflow/|Warning|warnings\.warn|type_id")


@dataclass
class Command:
    """One ``make`` command typed into a shell in a terminal."""

    terminal: pexpect.spawn
    ports: dict[str, int]
    logs: Path

    @property
    def make(self) -> psutil.Process:
        return next(p for p in self.everything() if p.name() == "make")

    def launcher(self) -> psutil.Process:
        return next(p for p in self.everything() if "bot.server.launch" in p.cmdline())

    def everything(self) -> set[psutil.Process]:
        """Every process the command runs (not the terminal's shell)."""
        return {p for p in family(self.terminal.pid) if p.pid != self.terminal.pid}

    def wait_for_servers(self, started: str) -> set[psutil.Process]:
        """Wait until the Rasa process exists; every process of the command then."""
        self.terminal.expect_exact(started, timeout=120)
        deadline = time.monotonic() + 30
        while not any("bot.server.rasa_cli" in p.cmdline() for p in self.everything()):
            assert time.monotonic() < deadline, "Rasa did not start"
            time.sleep(0.2)
        return self.everything()

    def exit_code(self, timeout: float = 60) -> int:
        """Wait for make to end; its exit code, as the shell reports it."""
        self.terminal.expect(r"make-exit=(\d+)", timeout=timeout)
        return int(self.terminal.match.group(1))

    def left(self, processes: set[psutil.Process]) -> list[str]:
        return leftovers(processes, self.ports.values())


def make_env(tmp_path: Path) -> tuple[dict[str, str], dict[str, int]]:
    ports = {name: free_port() for name in PORT_SETTINGS}
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    env.update({name: str(port) for name, port in ports.items()})
    env.update(
        LOG_DIR=str(tmp_path),
        SQLITE_PATH=str(tmp_path / "tracker.db"),
        START_TIMEOUT=str(START_TIMEOUT),
        RASA_TELEMETRY_ENABLED="false",
        TERM="xterm",
    )
    return env, ports


@pytest.fixture
def run_make(tmp_path: Path) -> Iterator[Callable[..., Command]]:
    assert MODEL.exists(), "train first: make train"
    started: list[Command] = []

    def run(target: str, **settings: int) -> Command:
        env, ports = make_env(tmp_path)
        ports.update(settings)
        env.update({name: str(port) for name, port in settings.items()})
        # An interactive shell leads the terminal's session, as in a terminal window:
        # it outlives a killed make, and hangs up its jobs when the window closes.
        env["PS1"] = "$ "
        terminal = pexpect.spawn(
            "bash",
            ["--norc", "--noprofile", "-i"],
            cwd=ROOT,
            env=env,
            encoding="utf-8",
            timeout=START_TIMEOUT,
            dimensions=(50, 300),
        )
        terminal.sendline(f"make --no-print-directory {target}; echo make-exit=$?")
        command = Command(terminal, ports, tmp_path)
        started.append(command)
        return command

    yield run
    for command in started:  # a failed test must not leave its servers either
        for process in command.everything():
            try:
                process.kill()
            except psutil.Error:
                pass
        try:
            command.terminal.close(force=True)
        except (pexpect.ExceptionPexpect, OSError):
            pass  # make was already waited for, or the terminal closed


def ctrl_c(command: Command) -> None:
    command.terminal.sendintr()  # the terminal sends SIGINT to its foreground group


def close_window(command: Command) -> None:
    command.terminal.ptyproc.fileobj.close()  # the terminal hangs up


def kill_make(command: Command) -> None:
    command.make.terminate()


def kill_9_make(command: Command) -> None:
    command.make.kill()


def kill_launcher(command: Command) -> None:
    command.launcher().terminate()


def wait_gone(processes: set[psutil.Process]) -> None:
    """Give ``processes`` a minute to end, without reading the (maybe closed) terminal."""
    psutil.wait_procs(processes, timeout=60)


ENDINGS = [ctrl_c, close_window, kill_make, kill_9_make, kill_launcher]


@pytest.mark.parametrize("ending", ENDINGS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("target", ["chat", "run", "web"])
def test_a_command_ended_while_loading_leaves_no_process_or_port(
    run_make: Callable[..., Command], target: str, ending: Callable[[Command], None]
) -> None:
    command = run_make(target)
    processes = command.wait_for_servers(STARTED[target])

    ending(command)
    wait_gone(processes)

    assert command.left(processes) == []


def post(url: str, message: str) -> str:
    body = json.dumps({"sender": "commands", "message": message}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return " ".join(m.get("text", "") for m in json.loads(reply.read()))


def test_make_shell_starts_quietly_and_stop_leaves_nothing(
    run_make: Callable[..., Command],
) -> None:
    command = run_make("shell")
    command.terminal.expect_exact("Bot loaded")
    start_up = command.terminal.before
    processes = command.everything()
    assert not NOISE.search(start_up), start_up
    assert f"log: {command.logs / 'rasa.log'}" in start_up

    command.terminal.sendline("/stop")  # (tests/test_shell.py asks it a question)

    assert command.exit_code() == 0
    assert command.left(processes) == []


def test_make_run_stops_everything_and_names_a_crashed_action_server(
    run_make: Callable[..., Command],
) -> None:
    command = run_make("run")
    command.terminal.expect_exact("Ctrl-C stops everything")
    start_up = command.terminal.before
    assert not NOISE.search(start_up), start_up
    url = f"http://127.0.0.1:{command.ports['RASA_PORT']}/webhooks/rest/webhook"
    assert "Nausea" in post(url, "does ketamine cause nausea?")
    processes = command.everything()
    actions = next(p for p in processes if "actions" in p.cmdline())

    actions.kill()

    assert command.exit_code() != 0
    said = command.terminal.before
    assert "The action server stopped" in said
    assert f"Last lines of {command.logs / 'actions.log'}" in said
    assert command.left(processes) == []


def test_make_web_serves_the_page_and_ctrl_c_stops_everything(
    run_make: Callable[..., Command],
) -> None:
    command = run_make("web")
    command.terminal.expect_exact("Ctrl-C stops everything")
    page = f"http://127.0.0.1:{command.ports['WEB_PORT']}/"
    assert page in command.terminal.before
    with urllib.request.urlopen(page, timeout=10) as reply:
        assert reply.status == 200
    processes = command.everything()

    ctrl_c(command)
    wait_gone(processes)

    assert command.left(processes) == []


@pytest.mark.parametrize("setting", PORT_SETTINGS)
def test_a_busy_port_is_named_with_its_holder_and_setting_and_nothing_starts(
    run_make: Callable[..., Command], setting: str
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        command = run_make("web", **{setting: busy})

        assert command.exit_code() != 0
        output = command.terminal.before
        assert f"Port {busy} for the" in output
        assert f"held by pid {os.getpid()}" in output
        assert f"{setting}=<port>" in output
        assert "Starting" not in output
