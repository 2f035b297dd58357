"""Run a few servers as one command, and leave nothing behind however it ends.

A :class:`Supervisor` starts side servers (each in its own process group, output to
its own log, stopped with the supervisor even if it is killed outright) and waits
until each answers its health check; then it runs the main server and watches them
all. Side servers given together (a group) start at the same time and are waited for
together: replicas load their models side by side. It stops every one of them, and any
process they started, when:

- the main server ends (``/stop`` in ``rasa shell``, or a crash);
- any side server ends (a crash: its name, exit code and log's last lines are shown),
  unless it is marked ``restart`` (a replica behind the load balancer, which stops
  sending it messages meanwhile): that one is started again, unless it ended within
  ``crash_loop`` seconds of its start, a fault a restart would only repeat;
- the supervisor gets SIGINT (Ctrl-C), SIGTERM or SIGHUP (a closed terminal);
- its parent goes away (``make`` was killed), so nothing runs on unattended.

Ports are checked before anything starts: a busy port is named with the program
that holds it, when that can be told, and the setting that moves it.
"""

from __future__ import annotations

import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TextIO

import psutil

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
POLL_SECONDS = 0.2
GRACE_SECONDS = 15.0
TAIL_LINES = 15
PR_SET_PDEATHSIG = 1
CRASH_LOOP_SECONDS = 10.0


@dataclass(frozen=True)
class Service:
    """One server: how to start it, where it listens and logs, and when it is ready."""

    name: str
    command: Sequence[str]
    port: int
    setting: str  # the environment variable that chooses the port
    log: Path
    # Ready when this answers: an http:// URL with 200, or tcp://host:port accepting.
    health: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    # In the terminal's foreground: reads the keyboard and writes to the screen (its
    # stderr still goes to the log). Only the main service can be.
    interactive: bool = False
    restart: bool = False  # started again when it ends, instead of stopping everything


Stage = Service | Sequence[Service]
"""A side server, or a group of side servers started together."""


class PortBusy(Exception):
    """A port a service needs is taken."""


class Stopped(Exception):
    """Everything must stop now; ``code`` is the command's exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def listener_pids(port: int) -> list[int]:
    """The processes listening on TCP ``port`` that can be seen, lowest pid first."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return []
    return sorted(
        {
            conn.pid
            for conn in connections
            if conn.status == psutil.CONN_LISTEN
            and conn.laddr
            and conn.laddr.port == port
            and conn.pid is not None
        }
    )


def port_holder(port: int) -> str | None:
    """The program listening on TCP ``port`` ("pid 12 (rasa run ...)"), if it can be told."""
    pids = listener_pids(port)
    if not pids:
        return None
    try:
        command = " ".join(psutil.Process(pids[0]).cmdline())
    except psutil.Error:
        command = "?"
    return f"pid {pids[0]} ({command[:120]})"


def check_port(service: Service) -> None:
    """Raise :class:`PortBusy` when ``service.port`` on 127.0.0.1 cannot be listened on."""
    with socket.socket() as sock:
        # Like the servers themselves, so a connection in TIME_WAIT does not count as busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", service.port))
        except OSError:
            pass
        else:
            return
    holder = port_holder(service.port)
    held = f", held by {holder}" if holder else ""
    raise PortBusy(
        f"Port {service.port} for the {service.name} is already in use{held}. "
        f"Stop that program, or choose another port: {service.setting}=<port> "
        f"(for example {service.setting}={service.port + 1})."
    )


def log_tail(log: Path, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of ``log``, indented for the terminal."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "    (no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:]) or "    (empty log)"


def answers(url: str) -> bool:
    """Whether ``url`` answers right now: 200 over HTTP, or a connection for ``tcp://``."""
    if url.startswith("tcp://"):
        host, _, number = url.removeprefix("tcp://").rpartition(":")
        try:
            with socket.create_connection((host, int(number)), timeout=2):
                return True
        except OSError:
            return False
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        return False


def _dies_with(parent: int) -> Callable[[], None]:
    """For the child, before exec: the kernel sends it SIGTERM when ``parent`` dies."""

    def arrange() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the supervisor died before prctl took effect
            os._exit(1)

    return arrange


class Supervisor:
    """Starts :class:`Service` s in order and stops them all together."""

    def __init__(
        self,
        out: TextIO | None = None,
        grace: float = GRACE_SECONDS,
        crash_loop: float = CRASH_LOOP_SECONDS,
    ) -> None:
        self.out = out if out is not None else sys.stdout
        self.grace = grace
        self.crash_loop = crash_loop
        self.running: list[tuple[Service, subprocess.Popen[bytes]]] = []
        self.started: dict[str, float] = {}
        self.signal: int | None = None
        self.parent = os.getppid()

    def say(self, text: str, end: str = "\n") -> None:
        """Write a progress line; a closed terminal is no reason to stop stopping."""
        try:
            print(text, end=end, file=self.out, flush=True)
        except OSError:
            pass

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signal = signum

    def _check_stop(self) -> None:
        if self.signal is None and os.getppid() != self.parent:
            self.signal = signal.SIGHUP  # the parent is gone: nobody is attached any more
        if self.signal is not None:
            self.say(f"\nStopping ({signal.Signals(self.signal).name})…")
            raise Stopped(128 + self.signal)

    def run(
        self, sides: Sequence[Stage], main: Service, ready_timeout: float, banner: str = ""
    ) -> int:
        """Start ``sides`` (each ready in ``ready_timeout`` s), then ``main``; its exit code.

        ``banner`` is shown once all are ready. Everything started is stopped before
        this returns.
        """
        groups = [[stage] if isinstance(stage, Service) else list(stage) for stage in sides]
        for signum in STOP_SIGNALS:
            # Under nohup, SIGHUP stays ignored: the person asked to outlive the terminal.
            if not (signum == signal.SIGHUP and signal.getsignal(signum) is signal.SIG_IGN):
                signal.signal(signum, self._on_signal)
        try:
            for service in (*(s for group in groups for s in group), main):
                check_port(service)
        except PortBusy as error:
            self.say(f"ERROR {error}")
            return 2
        try:
            for group in groups:
                self._start_ready(group, ready_timeout)
            self._start_main(main, ready_timeout)
            if banner:
                self.say(banner)
            return self._watch(main)
        except Stopped as stop:
            return stop.code
        finally:
            self.stop_all()

    def _spawn(self, service: Service) -> subprocess.Popen[bytes]:
        service.log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **service.env}
        # A restart adds to the log, which still tells why the last run ended.
        with service.log.open("ab" if service.name in self.started else "wb") as log:
            if service.interactive:
                # Stays in the terminal's process group so that it may read the keyboard.
                process = subprocess.Popen(
                    list(service.command),
                    env=env,
                    stderr=log,
                    preexec_fn=_dies_with(os.getpid()),
                )
            else:
                process = subprocess.Popen(
                    list(service.command),
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_dies_with(os.getpid()),
                )
        self.running.append((service, process))
        self.started[service.name] = time.monotonic()
        return process

    def _start_ready(self, group: Sequence[Service], timeout: float) -> None:
        """Start the services of ``group`` together and wait until each one's health answers."""
        names = " and ".join(f"the {s.name} on port {s.port}" for s in group)
        self.say(f"Starting {names}… ", end="")
        started = time.monotonic()
        waiting = [(service, self._spawn(service)) for service in group]
        while waiting:
            self._check_stop()
            for service, process in list(waiting):
                if service.health is None or answers(service.health):
                    waiting.remove((service, process))
                elif process.poll() is not None:
                    self.say("failed.")
                    self._died(service, process)
                    raise Stopped(1)
                elif time.monotonic() - started > timeout:
                    self.say("no answer.")
                    self.say(
                        f"ERROR The {service.name} did not answer {service.health} within "
                        f"{timeout:.0f} s. Last lines of {service.log}:\n{log_tail(service.log)}"
                    )
                    raise Stopped(1)
            if waiting:
                time.sleep(POLL_SECONDS)
        logs = ", ".join(str(s.log) for s in group)
        self.say(f"ready in {time.monotonic() - started:.0f} s (log: {logs}).")

    def _start_main(self, main: Service, timeout: float) -> None:
        if main.interactive:
            self.say(f"Loading the model; this takes about a minute (log: {main.log}).")
            self._spawn(main)
            return
        self._start_ready([main], timeout)

    def _died(self, service: Service, process: subprocess.Popen[bytes]) -> None:
        """Report that ``service`` ended on its own (a crash, or a failed start)."""
        self.say(
            f"ERROR The {service.name} stopped (exit code {process.returncode}); "
            f"stopping the others. Last lines of {service.log}:\n{log_tail(service.log)}"
        )

    def _watch(self, main: Service) -> int:
        """Wait until a service ends or a stop is asked for; the exit code to return."""
        while True:
            self._check_stop()
            for service, process in list(self.running):
                code = process.poll()
                if code is None:
                    continue
                self._check_stop()  # it may have ended because of the signal just received
                if service is main and code == 0:
                    return 0
                if self._restarted(service, process):
                    continue
                self._died(service, process)
                return code if code > 0 else 128 - code
            time.sleep(POLL_SECONDS)

    def _restarted(self, service: Service, process: subprocess.Popen[bytes]) -> bool:
        """Start ``service`` again if it may be; whether it was."""
        ran = time.monotonic() - self.started[service.name]
        if not service.restart or ran < self.crash_loop:
            return False
        self.running.remove((service, process))
        self.say(
            f"The {service.name} stopped (exit code {process.returncode}) after {ran:.0f} s; "
            f"starting it again (log: {service.log})."
        )
        self._spawn(service)
        return True

    def stop_all(self) -> None:
        """Stop every service, newest first, and any process they started; wait for all."""
        leftovers: list[psutil.Process] = []
        for _, process in self.running:
            try:
                leftovers.extend(psutil.Process(process.pid).children(recursive=True))
            except psutil.Error:
                pass
        for service, process in reversed(self.running):
            self._send(service, process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for service, process in self.running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._send(service, process, signal.SIGKILL)
                process.wait()
        _, alive = psutil.wait_procs(leftovers, timeout=1)
        for proc in alive:
            try:
                proc.kill()
            except psutil.Error:
                pass
        self.running.clear()

    @staticmethod
    def _send(service: Service, process: subprocess.Popen[bytes], signum: int) -> None:
        """Signal ``service``: its whole process group, or the shell in the terminal's group."""
        try:
            if not service.interactive:
                os.killpg(process.pid, signum)
            elif process.poll() is None:
                process.send_signal(signum)
        except ProcessLookupError:
            pass
