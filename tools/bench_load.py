"""Load benchmark: the full stack driven over the REST channel by simulated users.

Starts the Rasa server (trained model, 127.0.0.1) beside the action server with a
fresh SQLite tracker store in a temporary folder, on free ports, through
:mod:`tools.stack` (the same launcher the end-to-end tests use). With ``--replicas
single,1,2`` it does the same for 1, then 2 Rasa replicas behind the load balancer,
with PostgreSQL and the Redis lock store (``make run REPLICAS=2``), and reports them
side by side. For each:

1. start-up: time from process start to the first answered message;
2. for each concurrency level (1, 10, 50 users), closed loop with no think time
   (each user sends its next message as soon as the reply arrives: the worst case),
   every user running up to ``--conversations`` conversations or until the level's
   ``--duration`` is spent (a conversation under way is finished);
3. then at 10 and 50 users with a think time (``--think-time``, 2-6 s drawn at random)
   between a reply and the next message: people reading an answer, a realistic load;
4. checks: every turn got HTTP 200 and a non-empty reply addressed to its sender, and
   every conversation's tracker in the tracker store holds every user turn, in order,
   with none from another sender;
5. resident memory (VmRSS, VmHWM) of the Rasa and action server processes after the
   load, and CPU seconds each used per turn;
6. a profile of the (first) Rasa server under load with py-spy (``reports/profile.svg``
   and the hot spots in the report), when py-spy is installed.

A conversation is one sender: a greeting, 3-5 knowledge questions worded as in the
held-out set ``tests/nlu/heldout/round1.yml`` (never trained on), one "tell me more" after a
question, and thanks. Writes ``reports/load-bench.json`` and ``reports/load-bench.md``.
Run it with ``make bench-load``. A benchmark, not a test: it reports, it does not judge.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

from bot.core.content import KNOWLEDGE_INTENTS
from bot.quality.nlu_data import read_examples
from bot.server.supervisor import listener_pids
from tools.spy_profile import hot_spots, profile_markdown, py_spy, spy_command
from tools.stack import started
from tools.tracker_db import EVENTS, open_store, store_url

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "tests" / "nlu" / "heldout" / "round1.yml"
WEBHOOK = "/webhooks/rest/webhook"
WARMUP_SENDER = "bench-warmup"
MORE_PHRASES = ("tell me more",)
"""Added to the held-out ``ask_more`` wordings, so the plain phrase is always among them."""


@dataclass(frozen=True)
class Phrasings:
    """The wordings a simulated user picks from, per part of a conversation."""

    greet: tuple[str, ...]
    knowledge: Mapping[str, tuple[str, ...]]
    more: tuple[str, ...]
    thanks: tuple[str, ...]


@dataclass
class Turn:
    """One message sent and what came back."""

    sender: str
    text: str
    started: float
    latency: float
    status: int | None = None
    replies: int = 0
    error: str | None = None
    misaddressed: int = 0


@dataclass
class Level:
    """The result of one load level."""

    name: str
    users: int
    think_time: tuple[float, float]
    turns: list[Turn] = field(default_factory=list)
    sent: dict[str, list[str]] = field(default_factory=dict)
    elapsed: float = 0.0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    cpu: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Servers:
    """Where the running stack listens, its processes by role, and its tracker store."""

    url: str
    processes: Mapping[str, int]
    """``rasa`` (or ``rasa-1``, ``rasa-2``... behind ``balancer``), ``actions``, stores."""
    store: sa.engine.URL

    @property
    def rasa_pid(self) -> int:
        """The (first) Rasa server."""
        return self.processes.get("rasa") or self.processes["rasa-1"]


# ---------------------------------------------------------------------------- conversations


def load_phrasings(path: Path = HELDOUT) -> Phrasings:
    """The held-out wordings for greetings, knowledge questions, "tell me more" and thanks."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in read_examples([path]):
        if text and not text.startswith("/"):
            by_intent[intent].append(text)
    knowledge = {i: tuple(by_intent[i]) for i in KNOWLEDGE_INTENTS if by_intent[i]}
    return Phrasings(
        greet=tuple(by_intent["greet"]),
        knowledge=knowledge,
        more=(*MORE_PHRASES, *by_intent["ask_more"]),
        thanks=tuple(by_intent["thank"]),
    )


def make_conversation(rng: random.Random, phrasings: Phrasings) -> list[str]:
    """A greeting, 3-5 questions on different topics, one "tell me more", thanks."""
    topics = rng.sample(sorted(phrasings.knowledge), rng.randint(3, 5))
    questions = [rng.choice(phrasings.knowledge[t]) for t in topics]
    after = rng.randrange(len(questions))
    turns = [rng.choice(phrasings.greet)]
    for index, question in enumerate(questions):
        turns.append(question)
        if index == after:
            turns.append(rng.choice(phrasings.more))
    turns.append(rng.choice(phrasings.thanks))
    return turns


# ---------------------------------------------------------------------------- driving load


async def send_turn(
    session: aiohttp.ClientSession, url: str, sender: str, text: str, timeout: float
) -> Turn:
    """POST one message to the REST channel and time it until the whole reply is read."""
    started = time.monotonic()
    turn = Turn(sender, text, time.time(), 0.0)
    try:
        async with session.post(
            url + WEBHOOK,
            json={"sender": sender, "message": text},
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            turn.status = response.status
            body = await response.read()
        if turn.status != 200:
            turn.error = f"HTTP {turn.status}"
        else:
            replies = json.loads(body)
            turn.replies = sum(1 for r in replies if r.get("text") or r.get("buttons"))
            turn.misaddressed = sum(1 for r in replies if r.get("recipient_id") != sender)
    except asyncio.TimeoutError:
        turn.error = "timeout"
    except (aiohttp.ClientError, ValueError, OSError) as exc:
        turn.error = type(exc).__name__
    turn.latency = time.monotonic() - started
    return turn


async def run_user(
    session: aiohttp.ClientSession,
    url: str,
    level: Level,
    user: int,
    conversations: int,
    deadline: float,
    phrasings: Phrasings,
    rng: random.Random,
    timeout: float,
) -> None:
    """One simulated user: conversations one after another, each a new sender."""
    low, high = level.think_time
    if high > 0:  # spread the first messages of users who read before they type
        await asyncio.sleep(rng.uniform(0, high))
    for number in range(conversations):
        if time.monotonic() >= deadline:
            break
        sender = f"bench-{level.name}-u{user:02d}-c{number:03d}"
        level.sent[sender] = []
        for text in make_conversation(rng, phrasings):
            level.sent[sender].append(text)
            level.turns.append(await send_turn(session, url, sender, text, timeout))
            if high > 0:
                await asyncio.sleep(rng.uniform(low, high))


async def drive(
    url: str,
    level: Level,
    conversations: int,
    duration: float,
    phrasings: Phrasings,
    seed: int,
    timeout: float,
) -> None:
    """Run ``level.users`` users at once until each is done; fill in the level's turns."""
    connector = aiohttp.TCPConnector(limit=0)
    deadline = time.monotonic() + duration
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        await asyncio.gather(
            *(
                run_user(
                    session,
                    url,
                    level,
                    user,
                    conversations,
                    deadline,
                    phrasings,
                    random.Random(f"{seed}-{level.name}-{user}"),
                    timeout,
                )
                for user in range(level.users)
            )
        )
        level.elapsed = time.monotonic() - started


def run_level(
    servers: Servers,
    name: str,
    users: int,
    think_time: tuple[float, float],
    args: argparse.Namespace,
    phrasings: Phrasings,
) -> Level:
    """One level, with the load average and the servers' CPU time around it."""
    level = Level(name, users, think_time, load_before=os.getloadavg())
    cpu_before = {k: cpu_seconds(p) for k, p in servers.processes.items()}
    budget = (args.conversations, args.duration)
    asyncio.run(drive(servers.url, level, *budget, phrasings, args.seed, args.timeout))
    level.load_after = os.getloadavg()
    level.cpu = {k: cpu_seconds(p) - cpu_before[k] for k, p in servers.processes.items()}
    summary = summarise(level)
    print(
        f"  {name}: {summary['turns']} turns in {level.elapsed:.1f} s, "
        f"{summary['turns_per_s']:.1f} turns/s, p50 {summary['p50_ms']:.0f} ms, "
        f"p95 {summary['p95_ms']:.0f} ms, p99 {summary['p99_ms']:.0f} ms, "
        f"errors {summary['errors']}, empty replies {summary['empty_replies']}, "
        f"load {level.load_after[0]:.2f}",
        flush=True,
    )
    return level


# ---------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0-100) of ``values``; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 100))
    return ordered[int(rank) - 1]


def summarise(level: Level) -> dict[str, Any]:
    """Throughput, latency percentiles and error counts of one level."""
    latencies = [t.latency * 1000 for t in level.turns if t.error is None]
    errors = Counter(t.error for t in level.turns if t.error is not None)
    turns = len(level.turns)
    # Every Rasa server together: one, or the replicas behind the balancer.
    used = {**level.cpu, "rasa": sum(v for k, v in level.cpu.items() if k.startswith("rasa"))}
    cpu = {
        f"{k}_cpu_ms_per_turn": round(v * 1000 / turns, 1) if turns else 0.0
        for k, v in used.items()
    }
    busy = {
        f"{k}_cpu_share": round(v / level.elapsed, 2) if level.elapsed else 0.0
        for k, v in used.items()
    }
    return {
        "level": level.name,
        "users": level.users,
        "think_time_s": list(level.think_time),
        "conversations": len(level.sent),
        "turns": turns,
        "elapsed_s": round(level.elapsed, 2),
        "turns_per_s": round(turns / level.elapsed, 2) if level.elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies, default=0.0), 1),
        "errors": sum(errors.values()),
        "errors_by_kind": dict(errors),
        "empty_replies": sum(1 for t in level.turns if t.error is None and t.replies == 0),
        "misaddressed_replies": sum(t.misaddressed for t in level.turns),
        "load_before": [round(x, 2) for x in level.load_before],
        "load_after": [round(x, 2) for x in level.load_after],
        **cpu,
        **busy,
    }


# ---------------------------------------------------------------------------- tracker check


def stored_user_texts(store: sa.engine.URL) -> dict[str, list[str]]:
    """Every user message's text in the tracker store, per sender, in stored order."""
    query = (
        sa.select(EVENTS.c.sender_id, EVENTS.c.data)
        .where(EVENTS.c.type_name == "user")
        .order_by(EVENTS.c.id)
    )
    stored: dict[str, list[str]] = defaultdict(list)
    with open_store(store) as engine:
        with engine.connect() as connection:
            for sender, data in connection.execute(query):
                stored[str(sender)].append(str(json.loads(data).get("text") or ""))
    return dict(stored)


def check_trackers(sent: Mapping[str, Sequence[str]], stored: Mapping[str, Sequence[str]]) -> dict:
    """Compare what each sender sent with what its tracker holds.

    ``lost``: sent but not stored; ``foreign``: stored but not sent by that sender (a
    turn crossed from another conversation, or a duplicate); ``out_of_order``:
    conversations holding the right turns in another order; ``unknown_senders``:
    trackers for senders that never sent anything.
    """
    lost = foreign = out_of_order = exact = 0
    broken: list[str] = []
    for sender, expected in sent.items():
        held = list(stored.get(sender, []))
        expected = [text.strip() for text in expected]
        if held == expected:
            exact += 1
            continue
        missing = sum((Counter(expected) - Counter(held)).values())
        extra = sum((Counter(held) - Counter(expected)).values())
        lost += missing
        foreign += extra
        out_of_order += int(not missing and not extra)
        broken.append(sender)
    unknown = sorted(set(stored) - set(sent))
    return {
        "conversations": len(sent),
        "exact": exact,
        "lost_turns": lost,
        "foreign_turns": foreign,
        "out_of_order_conversations": out_of_order,
        "unknown_senders": len(unknown),
        "broken_senders": broken[:20],
    }


# ---------------------------------------------------------------------------- processes


def pid_listening_on(port: int) -> int:
    """The process that holds the listening socket of ``port`` (the server itself)."""
    pids = listener_pids(port)
    if not pids:
        raise RuntimeError(f"no process listens on port {port}")
    return pids[0]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_share(servers: Servers, seconds: float = 5.0) -> dict[str, float]:
    """The share of one core each server uses while nobody talks to it."""
    before = {k: cpu_seconds(p) for k, p in servers.processes.items()}
    time.sleep(seconds)
    return {
        k: round((cpu_seconds(p) - before[k]) / seconds, 2) for k, p in servers.processes.items()
    }


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory (VmRSS) and its peak (VmHWM) of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return values


def post_json(url: str, payload: Mapping[str, Any], timeout: float) -> list[dict[str, Any]]:
    """A blocking POST to the REST channel (used before the load, for start-up)."""
    request = urllib.request.Request(
        url + WEBHOOK,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return list(json.loads(reply.read()))


@contextmanager
def stack(folder: Path, replicas: int = 0) -> Iterator[tuple[Servers, dict[str, float]]]:
    """Start Rasa and the action server; yield them with start-up times, then stop them."""
    began = time.monotonic()
    with started(folder, ready="/", replicas=replicas) as servers:
        url = servers.url
        http_up = time.monotonic() - began
        before = time.monotonic()
        replies = post_json(url, {"sender": WARMUP_SENDER, "message": "hello"}, 120)
        first = time.monotonic()
        if not replies:
            raise RuntimeError("the first message got no reply")
        timings = {
            "to_http_s": round(http_up, 1),
            "to_first_answer_s": round(first - began, 1),
            "first_message_ms": round((first - before) * 1000, 1),
        }
        ports = {"actions": servers.action_port}
        if replicas:
            ports["balancer"] = servers.rasa_port
            ports.update({f"rasa-{i}": p for i, p in enumerate(servers.replica_ports, 1)})
            for role, setting in (("postgres", "DB_PORT"), ("redis", "REDIS_PORT")):
                ports[role] = int(servers.settings[setting])
        else:
            ports["rasa"] = servers.rasa_port
        processes = {role: pid_listening_on(port) for role, port in ports.items()}
        settings = {"SQLITE_PATH": str(folder / "tracker.db"), **servers.settings}
        yield Servers(url, processes, store_url(settings)), timings


# ---------------------------------------------------------------------------- profile


async def drive_profiled(
    servers: Servers,
    args: argparse.Namespace,
    phrasings: Phrasings,
    out: Path,
    spy: str,
) -> dict[str, str]:
    """Load the stack with ``--profile-users`` while py-spy samples both servers."""
    seconds = args.profile_seconds
    outputs = {
        "rasa_svg": (servers.rasa_pid, "flamegraph", out / "profile.svg"),
        "rasa_raw": (servers.rasa_pid, "raw", out / "profile-rasa.txt"),
        "actions_raw": (servers.processes["actions"], "raw", out / "profile-actions.txt"),
    }
    spies = [
        await asyncio.create_subprocess_exec(
            *spy_command(spy, pid, fmt, path, seconds),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid, fmt, path in outputs.values()
    ]
    level = Level("profile", args.profile_users, (0.0, 0.0))
    await drive(servers.url, level, 10_000, seconds + 2, phrasings, args.seed + 1, args.timeout)
    for process in spies:
        await process.wait()
    return {k: str(path) for k, (_, _, path) in outputs.items() if path.exists()}


def profile(
    servers: Servers, args: argparse.Namespace, phrasings: Phrasings, out: Path
) -> dict[str, Any]:
    """Profile the servers under load; the hot spots, or why there is no profile."""
    spy = py_spy()
    if spy is None:
        return {"skipped": "py-spy is not installed (make install, requirements/dev.txt)"}
    print(f"profiling {args.profile_seconds:.0f} s at {args.profile_users} users ...", flush=True)
    files = asyncio.run(drive_profiled(servers, args, phrasings, out, spy))
    result: dict[str, Any] = {"users": args.profile_users, "seconds": args.profile_seconds}
    result["files"] = files
    for role in ("rasa", "actions"):
        raw = files.get(f"{role}_raw")
        if raw:
            result[role] = hot_spots(Path(raw).read_text(encoding="utf-8"))
    return result


# ---------------------------------------------------------------------------- reports


def topology_name(replicas: int) -> str:
    """How the report names a topology (0: one Rasa server, as ``make run`` starts it)."""
    if not replicas:
        return "one Rasa server, SQLite tracker store (make run)"
    return (
        f"{replicas} Rasa replica(s) behind HAProxy, PostgreSQL and the Redis lock store "
        f"(REPLICAS={replicas}" + (")" if replicas > 1 else " with REPLICA_PORTS)")
    )


def topology_markdown(top: Mapping[str, Any]) -> list[str]:
    """One topology's start-up, levels, trackers and memory."""
    start = top["startup"]
    lines = [
        f"## {topology_name(top['replicas'])}",
        "",
        f"Start-up: HTTP up after {start['to_http_s']} s, first message answered after "
        f"{start['to_first_answer_s']} s (that message took {start['first_message_ms']:.0f} ms). "
        f"CPU used while idle (share of one core): {top['idle_cpu_share']}.",
        "",
        "| level | users | think (s) | conversations | turns | turns/s | p50 ms | p95 ms "
        "| p99 ms | max ms | errors | empty | rasa CPU ms/turn | rasa CPU share "
        "| actions CPU ms/turn | load avg (1 min) before → after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in top["levels"]:
        think = "none" if not s["think_time_s"][1] else "-".join(map(str, s["think_time_s"]))
        lines.append(
            f"| {s['level']} | {s['users']} | {think} | {s['conversations']} | {s['turns']} "
            f"| {s['turns_per_s']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} "
            f"| {s['max_ms']} | {s['errors']} | {s['empty_replies']} "
            f"| {s.get('rasa_cpu_ms_per_turn', '')} | {s.get('rasa_cpu_share', '')} "
            f"| {s.get('actions_cpu_ms_per_turn', '')} "
            f"| {s['load_before'][0]} → {s['load_after'][0]} |"
        )
    check = top["trackers"]
    memory = ", ".join(
        f"{role} {m.get('VmRSS')} MB (peak {m.get('VmHWM')})"
        for role, m in top["memory_mb"].items()
    )
    lines += [
        "",
        f"Trackers: {check['exact']} of {check['conversations']} conversations hold exactly "
        f"the turns sent, in order; lost turns {check['lost_turns']}, foreign turns "
        f"{check['foreign_turns']}, out of order {check['out_of_order_conversations']}, "
        f"unknown senders {check['unknown_senders']}. Replies addressed to another sender: "
        f"{sum(s['misaddressed_replies'] for s in top['levels'])}.",
        "",
        f"Memory after the load (VmRSS): {memory}.",
        "",
    ]
    return lines


def comparison_markdown(topologies: Sequence[Mapping[str, Any]]) -> list[str]:
    """Closed-loop throughput and p95 of each topology against the first, level by level."""
    base = topologies[0]
    lines = [
        "## Side by side",
        "",
        "| level | "
        + " | ".join(f"{t['replicas'] or 'single'}: turns/s, p95 ms" for t in topologies)
        + " | throughput ratio |",
        "|---|" + "---|" * (len(topologies) + 1),
    ]
    for index, level in enumerate(base["levels"]):
        row = [t["levels"][index] for t in topologies]
        ratios = [
            f"{r['turns_per_s'] / level['turns_per_s']:.2f}" if level["turns_per_s"] else ""
            for r in row[1:]
        ]
        cells = " | ".join(f"{r['turns_per_s']}, {r['p95_ms']}" for r in row)
        lines.append(f"| {level['level']} | {cells} | {', '.join(ratios)} |")
    return [*lines, ""]


def markdown(result: Mapping[str, Any]) -> str:
    """The report as Markdown tables."""
    topologies = result["topologies"]
    lines = [
        "# Load benchmark",
        "",
        f"Run {result['date']} on {result['cpus']} CPUs, REST channel, Sanic workers: "
        f"{result['sanic_workers']}; the topologies one after another in one run.",
        "",
    ]
    if len(topologies) > 1:
        lines += comparison_markdown(topologies)
    for top in topologies:
        lines += topology_markdown(top)
    lines += [
        "Targets: zero errors and zero lost or crossed turns at 50 users; "
        "p95 below 300 ms at 10 users; with 2 replicas, 1.7 times one replica's throughput "
        "at 10 closed-loop users.",
        "",
        "Notes: latency is from sending a message to reading the whole reply. turns/s is "
        "every turn of a level over its wall time (conversations under way when the time "
        "budget ends are finished, with fewer users active). CPU ms/turn is the server "
        "processes' CPU time (all threads; every replica together) over the level divided "
        "by its turns; at low load it includes TensorFlow's thread pools spinning after "
        "each inference, so the server's cost per turn is better read from the closed-loop "
        "throughput (1 / turns/s). CPU share is the cores the processes used on average. "
        "PostgreSQL's CPU counts only its main process, not the backends serving queries. "
        "The machine's other jobs show in the load average.",
    ]
    lines += profile_markdown(topologies[0].get("profile") or {})
    return "\n".join(lines) + "\n"


def parse_levels(text: str) -> list[int]:
    """``"1,10,50"`` as a list of user counts (empty text: none)."""
    return [int(x) for x in text.split(",") if x.strip()]


def parse_topologies(text: str) -> list[int]:
    """``"single,1,2"`` as replica counts, 0 standing for one Rasa server without a balancer."""
    return [0 if x.strip() == "single" else int(x) for x in text.split(",") if x.strip()]


def parse_think(text: str) -> tuple[float, float]:
    """``"2,6"`` as the (shortest, longest) think time in seconds."""
    low, high = (float(x) for x in text.split(","))
    return low, high


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    parser.add_argument("--levels", type=parse_levels, default=[1, 10, 50])
    parser.add_argument("--conversations", type=int, default=20, help="per user and level")
    parser.add_argument("--duration", type=float, default=45.0, help="seconds per level")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per turn")
    parser.add_argument("--think-levels", type=parse_levels, default=[10, 50])
    parser.add_argument("--think-time", type=parse_think, default=(2.0, 6.0))
    parser.add_argument("--profile-users", type=int, default=10)
    parser.add_argument("--profile-seconds", type=float, default=30.0, help="0: no profile")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--replicas",
        type=parse_topologies,
        default=[0],
        help="topologies to compare: single (one Rasa server), or N replicas behind the balancer",
    )
    return parser.parse_args(argv)


def run_topology(
    replicas: int, args: argparse.Namespace, phrasings: Phrasings, profiled: bool
) -> dict[str, Any]:
    """Start one topology, run every level, check the trackers (and profile); its result."""
    # The launcher's PostgreSQL (replicas) runs as its own user, which must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    folder.chmod(0o755)
    levels: list[Level] = []
    prof: dict[str, Any] = {}
    try:
        what = f"{replicas} Rasa replica(s) behind the balancer" if replicas else "Rasa"
        print(f"starting {what} and the action server (store in {folder}) ...", flush=True)
        with stack(folder, replicas) as (servers, startup):
            idle = idle_cpu_share(servers)
            print(f"  up: {startup}; CPU share while idle: {idle}", flush=True)
            for users in args.levels:
                levels.append(run_level(servers, f"{users}u", users, (0.0, 0.0), args, phrasings))
            for users in args.think_levels:
                name = f"{users}u-think"
                levels.append(run_level(servers, name, users, args.think_time, args, phrasings))
            memory = {k: memory_mb(p) for k, p in servers.processes.items()}
            sent = {WARMUP_SENDER: ["hello"]}
            for level in levels:
                sent.update(level.sent)
            trackers = check_trackers(sent, stored_user_texts(servers.store))
            print(f"  trackers: {trackers}", flush=True)
            if profiled and args.profile_seconds:
                prof = profile(servers, args, phrasings, args.out)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return {
        "replicas": replicas,
        "startup": startup,
        "idle_cpu_share": idle,
        "levels": [summarise(level) for level in levels],
        "trackers": trackers,
        "memory_mb": memory,
        "profile": prof,
        "turns": [
            {"level": level.name, **asdict(turn)} for level in levels for turn in level.turns
        ],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every topology in turn, on the same machine in one run; the full result."""
    phrasings = load_phrasings()
    topologies = [
        run_topology(replicas, args, phrasings, profiled=index == 0)
        for index, replicas in enumerate(args.replicas)
    ]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(),
        "sanic_workers": os.environ.get("SANIC_WORKERS", "1 (default)"),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "topologies": topologies,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and write reports/load-bench.json and reports/load-bench.md."""
    args = arguments(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    result = run(args)
    (args.out / "load-bench.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    report = markdown(result)
    (args.out / "load-bench.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
