"""py-spy for the load benchmark: where to find it, how to record, and what the stacks say.

:func:`hot_spots` turns py-spy's raw (collapsed) stacks into the shares of time spent
in each function and in each phase of a Rasa turn; :func:`profile_markdown` writes
them as the report's profile section.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def py_spy() -> str | None:
    """The py-spy executable beside this Python, or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


# Leaf frames where the event loop waits (or runs C code of its own): not a hot spot.
IDLE_LEAVES = ("serve (sanic/server/runners.py)", "select (selectors.py)", "_run_once (asyncio/")
# Frames every busy sample passes through (start-up, server loop): left out of the
# inclusive table, where they would only say "100%".
OUTER = re.compile(
    r"\((runpy|rasa/__main__|rasa/cli/|rasa/api|rasa/core/run\.py|sanic/|rasa_sdk/__main__"
    r"|bot/server/rasa_cli)|^(<module>|connection_task|handle_request) "
)
# Where a turn's time goes in the Rasa server: a label and the frame that marks it.
PHASES = (
    ("NLU pipeline", "parse_message (rasa/core/processor.py)"),
    ("- DIETClassifier", "process (rasa/nlu/classifiers/diet_classifier.py)"),
    ("- BlendedIntentClassifier (project)", "process (bot/nlu/blended_classifier.py)"),
    ("- CrisisGuard (project)", "process (bot/nlu/crisis_guard.py)"),
    ("tracker load", "fetch_tracker_and_update_session (rasa/core/processor.py)"),
    ("policies", "_predict_next_with_tracker (rasa/core/processor.py)"),
    ("action response check (Rasa)", "_validate_action_result (rasa/core/actions/action.py)"),
    ("action response check (cached)", "validate_action_result (bot/server/action_validation.py)"),
    ("- jsonschema check_schema", "check_schema (jsonschema/validators.py)"),
    ("tracker save", "save_tracker (rasa/core/processor.py)"),
    ("- SQLite commit", "do_commit (sqlalchemy/engine/default.py)"),
)


def hot_spots(raw: str, top: int = 15) -> dict[str, Any]:
    """Self and inclusive shares of functions and phases in py-spy's raw (collapsed) stacks.

    Shares are of the samples where the server was doing something: samples whose leaf
    is the event loop itself (waiting, or in its C code) are counted apart as ``idle``.
    """
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = idle = 0
    for line in raw.splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not stack_text or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [clean_frame(f) for f in stack_text.split(";")]
        if frames[-1].startswith(IDLE_LEAVES):
            idle += count
            continue
        total += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count

    def percent(count: int) -> float:
        return round(100 * count / total, 1) if total else 0.0

    def share(counter: Counter[str]) -> list[dict[str, Any]]:
        ranked = [(f, n) for f, n in counter.most_common() if not OUTER.search(f)]
        return [{"function": f, "percent": percent(n)} for f, n in ranked[:top]]

    phases = {label: percent(inclusive[frame]) for label, frame in PHASES if inclusive[frame]}
    return {
        "samples": total,
        "idle_samples": idle,
        "phases": phases,
        "self": [{"function": f, "percent": percent(n)} for f, n in self_counts.most_common(top)],
        "inclusive": share(inclusive),
    }


_SITE = re.compile(r"\(.*?site-packages/")


def clean_frame(frame: str) -> str:
    """A frame as ``function (module path)``, without the venv prefix or the thread name."""
    frame = _SITE.sub("(", frame.strip())
    return frame.replace(str(ROOT) + "/", "")


def spy_command(spy: str, pid: int, fmt: str, path: Path, seconds: float) -> list[str]:
    """A py-spy recording of ``pid`` for ``seconds``, without pausing the process.

    ``--nonblocking`` lets several recorders sample one process at once (an SVG flame
    graph and the raw stacks the hot-spot table is computed from) and disturbs the
    server less; samples may now and then be torn.
    """
    return [
        spy,
        "record",
        "--nonblocking",
        "--nolineno",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--format",
        fmt,
        "--output",
        str(path),
    ]


def profile_markdown(prof: Mapping[str, Any]) -> list[str]:
    """The profile section: the top functions by own time and by time inside them."""
    if not prof or "skipped" in prof:
        return ["", f"Profile: {prof.get('skipped', 'not run')}."] if prof else []
    lines = [
        "",
        f"## Profile ({prof['users']} users, {prof['seconds']:.0f} s, py-spy, "
        "% of the samples where the server was busy)",
    ]
    for role in ("rasa", "actions"):
        spots = prof.get(role)
        if not spots:
            continue
        lines += [
            "",
            f"### {role}: {spots['samples']} active samples "
            f"({spots['idle_samples']} more in the idle event loop)",
            "",
        ]
        if spots["phases"]:
            lines += ["| phase | inclusive % |", "|---|---|"]
            lines += [f"| {label} | {p} |" for label, p in spots["phases"].items()]
            lines.append("")
        lines += ["| self % | function | | inclusive % | function |", "|---|---|---|---|---|"]
        for own, inner in zip(spots["self"], spots["inclusive"], strict=False):
            lines.append(
                f"| {own['percent']} | `{own['function']}` | | {inner['percent']} "
                f"| `{inner['function']}` |"
            )
    return lines
