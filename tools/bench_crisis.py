"""Crisis benchmark: is danger caught, of the right kind, without false alarms.

On the sets in ``tests/crisis/`` (messages and short conversations written blind,
each message or turn labelled with its kind of danger, ``uncertain`` or ``none``;
``hard`` marks negatives that share words with danger), in one run:

1. ``assessor``: the trained model (``models/current.tar.gz``) as the server runs
   it: each conversation's turns parsed with the conversation so far in the tracker;
2. ``assessor_alone``: the same, each message without its conversation;
3. ``model_alone``: the assessor's own model, its danger probability on the message
   alone against the same threshold, no lexicon;
4. ``lexicon``: the crisis lexicon alone;
5. ``classifier``: the intent classifier alone (its ``crisis`` prediction).

Reports recall per kind, whether the card was the right one, check-ins, false
alarms on hard negatives, every firearm and overdose message, and the time per
parse. ``--tune`` replays the development set (``tests/crisis/dev.yml``) over a
grid of thresholds. A benchmark, not a test. Run it with ``make bench-crisis``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.content import CRISIS_INTENT
from bot.core.crisis.assessment import (
    ASSESSMENT_KEY,
    CHECK_IN,
    CRISIS,
    Assessment,
    Context,
    Settings,
    assess,
)
from bot.core.crisis.lexicon import CrisisDetector, default_detector
from bot.core.crisis.model import DANGER_KINDS, DISTRESS
from bot.core.yaml_files import read_yaml
from tools.rasa_agent import load_agent

if TYPE_CHECKING:
    from rasa.core.agent import Agent

MODEL = Path("models") / "current.tar.gz"
CRISIS_DIR = Path("tests") / "crisis"
DEV_SET = "dev"
UNCERTAIN = "uncertain"
NONE = "none"
SYSTEMS = ("assessor", "assessor_alone", "model_alone", "lexicon", "classifier")
FIREARM = re.compile(r"\b(gun|guns|firearm|rifle|pistol|shotgun|handgun|revolver|glock)\b", re.I)
FALSE_ALARM_TARGET = 0.02
OVERDOSE = re.compile(r"overdos|\bod\b|\bod'?d\b|too (much|many)|whole (bottle|pack|box)", re.I)


@dataclass(frozen=True)
class Turn:
    """One labelled message, with what the pipeline made of it."""

    text: str
    label: str
    hard: bool = False
    assessment: Assessment | None = None
    alone: Assessment | None = None
    classified: str | None = None
    confidence: float = 0.0
    seconds: float = 0.0


Conversation = list[Turn]


def read_set(path: Path) -> list[Conversation]:
    """A set's messages (each a conversation of one turn) and conversations."""
    data = read_yaml(path) or {}
    single = [[Turn(m["text"], m["kind"], bool(m.get("hard")))] for m in data.get("messages", [])]
    turns = [
        [Turn(t["text"], t["kind"], bool(t.get("hard"))) for t in c["turns"]]
        for c in data.get("conversations", [])
    ]
    return single + turns


def reply_action(assessment: Assessment) -> str:
    """The bot's last action after a message so assessed (what the tracker would show)."""
    if assessment.tier == CRISIS:
        return "utter_crisis" if assessment.kind == "suicide" else f"utter_crisis_{assessment.kind}"
    return "utter_check_in" if assessment.tier == CHECK_IN else "action_answer_question"


def parse_conversations(
    agent: Agent, conversations: Sequence[Conversation], alone: bool = True
) -> list[Conversation]:
    """Each turn parsed by the trained model in its conversation, and (``alone``) without it."""
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = agent.processor
    assert processor is not None
    loop = asyncio.new_event_loop()

    def parse(text: str, tracker: DialogueStateTracker) -> tuple[dict[str, Any], float]:
        start = time.perf_counter()
        message = UserMessage(text, sender_id=tracker.sender_id)
        result = loop.run_until_complete(processor.parse_message(message, tracker))
        return result, time.perf_counter() - start

    parsed: list[Conversation] = []
    for number, conversation in enumerate(conversations):
        tracker = DialogueStateTracker(f"bench-{number}", [])
        done: Conversation = []
        for turn in conversation:
            result, seconds = parse(turn.text, tracker)
            by_itself = (
                parse(turn.text, DialogueStateTracker(f"alone-{number}", []))[0] if alone else {}
            )
            assessment = Assessment.from_dict(result.get(ASSESSMENT_KEY))
            guard = result.get("crisis_guard") or {}
            classified = guard.get("classified_as")
            done.append(
                replace(
                    turn,
                    assessment=assessment,
                    alone=Assessment.from_dict(by_itself.get(ASSESSMENT_KEY)),
                    classified=classified or result["intent"]["name"],
                    confidence=float(guard.get("confidence") or result["intent"]["confidence"]),
                    seconds=seconds,
                )
            )
            tracker.update(ActionExecuted("action_listen"))
            tracker.update(UserUttered(turn.text, result["intent"], result["entities"], result))
            if assessment is not None:
                tracker.update(ActionExecuted(reply_action(assessment)))
        parsed.append(done)
    loop.close()
    return parsed


def replay(
    conversation: Conversation, detector: CrisisDetector, settings: Settings
) -> list[Assessment]:
    """The assessor's tiers under other ``settings``, from the stored model outputs.

    The stored danger, concern and kind stand for the model's probabilities, and the
    context is rebuilt as the tracker would hold it; with the shipped settings it
    reproduces the parse (checked in :func:`main`).
    """
    out: list[Assessment] = []
    for turn in conversation:
        stored = turn.assessment or Assessment(NONE)
        probabilities = {
            stored.kind or DANGER_KINDS[0]: stored.danger,
            DISTRESS: stored.concern - stored.danger,
        }
        earlier: list[Assessment] = []
        card_shown = False
        for previous in reversed(out):
            if previous.tier == CRISIS:
                card_shown = True
                break
            earlier.append(previous)
        context = Context(tuple(earlier), card_shown, bool(out) and out[-1].tier == CHECK_IN)
        out.append(
            assess(
                turn.text,
                probabilities,
                context,
                detector,
                answered_yes=turn.classified == "affirm",
                classifier_crisis=turn.confidence if turn.classified == CRISIS_INTENT else 0.0,
                settings=settings,
            )
        )
    return out


def system_tiers(
    conversation: Conversation, system: str, settings: Settings
) -> list[tuple[str, str | None]]:
    """(tier, kind) for each turn under one of the :data:`SYSTEMS`."""
    detector = default_detector()
    tiers: list[tuple[str, str | None]] = []
    for turn in conversation:
        a = turn.assessment or Assessment(NONE)
        if system == "assessor":
            tiers.append((a.tier, a.kind))
        elif system == "assessor_alone":
            alone = turn.alone or Assessment(NONE)
            tiers.append((alone.tier, alone.kind))
        elif system == "model_alone":
            tiers.append((CRISIS, a.kind) if a.danger >= settings.crisis else (NONE, None))
        elif system == "lexicon":
            phrase = detector.find(turn.text)
            tiers.append((CRISIS, detector.kind_of(phrase)) if phrase else (NONE, None))
        else:
            tiers.append((CRISIS, "suicide") if turn.classified == CRISIS_INTENT else (NONE, None))
    return tiers


def score(
    conversations: Sequence[Conversation], tiers: Sequence[Sequence[tuple[str, str | None]]]
) -> dict[str, Any]:
    """Recall and right card per kind, uncertain handling, false alarms, firearms, overdoses."""
    pairs = [
        (turn, tier)
        for conv, conv_tiers in zip(conversations, tiers, strict=True)
        for turn, tier in zip(conv, conv_tiers, strict=True)
    ]

    def rate(selected: list[tuple[Turn, tuple[str, str | None]]], test: Any) -> dict[str, Any]:
        hits = sum(1 for item in selected if test(item))
        return {
            "n": len(selected),
            "rate": round(hits / len(selected), 3) if selected else None,
            "hits": hits,
        }

    danger = [p for p in pairs if p[0].label in DANGER_KINDS]
    result: dict[str, Any] = {"danger_recall": rate(danger, lambda p: p[1][0] == CRISIS)}
    for kind in DANGER_KINDS:
        of_kind = [p for p in pairs if p[0].label == kind]
        result[kind] = rate(of_kind, lambda p: p[1][0] == CRISIS)
        result[f"{kind}_right_card"] = rate(of_kind, lambda p, k=kind: p[1] == (CRISIS, k))
        given = [p for p in pairs if p[1] == (CRISIS, kind)]
        result[f"{kind}_precision"] = rate(given, lambda p, k=kind: p[0].label == k)
    uncertain = [p for p in pairs if p[0].label == UNCERTAIN]
    result["uncertain_attended"] = rate(uncertain, lambda p: p[1][0] in (CRISIS, CHECK_IN))
    result["uncertain_card"] = rate(uncertain, lambda p: p[1][0] == CRISIS)
    negatives = [p for p in pairs if p[0].label == NONE]
    result["false_alarm_hard"] = rate(
        [p for p in negatives if p[0].hard], lambda p: p[1][0] == CRISIS
    )
    result["false_alarm_all"] = rate(negatives, lambda p: p[1][0] == CRISIS)
    result["check_in_on_none"] = rate(negatives, lambda p: p[1][0] == CHECK_IN)
    result["firearms"] = rate(
        [p for p in danger if FIREARM.search(p[0].text)], lambda p: p[1][0] == CRISIS
    )
    result["overdoses"] = rate(
        [p for p in danger if p[0].label == "emergency" and OVERDOSE.search(p[0].text)],
        lambda p: p[1][0] == CRISIS,
    )
    return result


class _MemoDetector(CrisisDetector):
    """The lexicon with each text's match remembered: the grid replays every text often."""

    def __init__(self, detector: CrisisDetector) -> None:
        super().__init__(detector.kinds)
        self._found: dict[str, str | None] = {}

    def find(self, text: str) -> str | None:
        if text not in self._found:
            self._found[text] = super().find(text)
        return self._found[text]


def tune(
    conversations: Sequence[Conversation],
) -> list[tuple[tuple[Any, ...], Settings, dict[str, Any]]]:
    """Grid over the thresholds on the development set, best first.

    Best: false alarms within :data:`FALSE_ALARM_TARGET`, then the highest danger
    recall, then the most uncertain messages attended, then the fewest false alarms
    and check-ins on messages without danger.
    """
    detector = _MemoDetector(default_detector())
    grid = [x / 20 for x in range(3, 17)]
    extra = product((0.3, 0.4, 0.5, 0.6), (0.35, 0.5, 0.7, 0.9), (0.5, 0.7, 0.9, 1.01))
    results = []
    for crisis, context, (concern, repeat, classifier) in product(grid, grid, extra):
        if context > crisis:
            continue
        settings = Settings(crisis, context, concern, repeat, classifier)
        tiers = [[(a.tier, a.kind) for a in replay(c, detector, settings)] for c in conversations]
        scored = score(conversations, tiers)
        false_alarms = scored["false_alarm_all"]["rate"]
        key = (
            false_alarms <= FALSE_ALARM_TARGET,
            scored["danger_recall"]["rate"],
            scored["uncertain_attended"]["rate"],
            -false_alarms,
            -scored["check_in_on_none"]["rate"],
        )
        results.append((key, settings, scored))
    return sorted(results, key=lambda r: r[0], reverse=True)


def table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    """A markdown table per set: systems as columns."""
    lines = []
    for set_name, by_system in results.items():
        lines += [
            f"\n### {set_name}\n",
            "| measure | " + " | ".join(by_system) + " |",
            "|---|" + "---|" * len(by_system),
        ]
        for measure in next(iter(by_system.values())):
            cells = []
            for scored in by_system.values():
                value = scored[measure]
                cells.append(
                    "-"
                    if value["rate"] is None
                    else f"{value['rate']:.3f} ({value['hits']}/{value['n']})"
                )
            lines.append(f"| {measure} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def errors(conversations: Sequence[Conversation]) -> list[str]:
    """The assessor's misses and false alarms, for reading."""
    lines = []
    for conv in conversations:
        for turn in conv:
            a = turn.assessment or Assessment(NONE)
            wrong_danger = turn.label in DANGER_KINDS and (a.tier, a.kind) != (CRISIS, turn.label)
            false_alarm = turn.label == NONE and a.tier in (CRISIS, CHECK_IN)
            if (
                wrong_danger
                or false_alarm
                or (turn.label == UNCERTAIN and a.tier not in (CRISIS, CHECK_IN))
            ):
                context = " / ".join(t.text for t in conv[: conv.index(turn)])
                lines.append(
                    f"- [{turn.label} -> {a.tier} {a.kind or ''} d={a.danger:.2f} "
                    f"c={a.concern:.2f} {a.reason}] {turn.text}"
                    + (f"  (after: {context})" if context else "")
                )
    return lines


def main() -> None:
    """Parse every set, score the five systems, write ``reports/crisis-bench.*``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--sets", nargs="*", help="set names in tests/crisis (default: all)")
    parser.add_argument(
        "--tune", action="store_true", help="grid-search the thresholds on the dev set"
    )
    parser.add_argument("--out", type=Path, default=Path("reports"))
    args = parser.parse_args()

    names = args.sets or sorted(p.stem for p in CRISIS_DIR.glob("*.yml"))
    settings = _shipped_settings()
    results: dict[str, dict[str, dict[str, Any]]] = {}
    latency: list[float] = []
    error_lines: list[str] = []
    agent = load_agent(args.model)
    for name in names:
        conversations = parse_conversations(agent, read_set(CRISIS_DIR / f"{name}.yml"))
        detector = default_detector()
        for conv in conversations:
            replayed = replay(conv, detector, settings)
            actual = [t.assessment for t in conv]
            if [(r.tier, r.kind) for r in replayed] != [(a.tier, a.kind) for a in actual if a]:
                print(f"note: replay differs from the parse in {name}: {conv[0].text[:60]}")
        latency += [t.seconds for conv in conversations for t in conv]
        results[name] = {
            s: score(conversations, [system_tiers(c, s, settings) for c in conversations])
            for s in SYSTEMS
        }
        error_lines += [f"\n## {name}\n", *errors(conversations)]
        if args.tune and name == DEV_SET:
            for _, tuned, scored in tune(conversations)[:5]:
                print(
                    f"{tuned}: recall {scored['danger_recall']['rate']}, "
                    f"false alarms {scored['false_alarm_all']['rate']}, "
                    f"check-ins on none {scored['check_in_on_none']['rate']}"
                )
    report = (
        table(results)
        + f"\n\nMedian parse time: {1000 * statistics.median(latency):.1f} ms"
        + f" over {len(latency)} parses.\n"
    )
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "crisis-bench.md").write_text(report, encoding="utf-8")
    (args.out / "crisis-bench.json").write_text(
        json.dumps({"settings": asdict(settings), "results": results}, indent=1)
    )
    (args.out / "crisis-errors.md").write_text(
        "# Crisis benchmark: the assessor's errors\n" + "\n".join(error_lines) + "\n"
    )


def _shipped_settings() -> Settings:
    """The thresholds in ``config.yml``."""
    config = read_yaml(Path("config.yml"))
    guard = next(c for c in config["pipeline"] if c["name"].endswith("CrisisGuard"))
    return Settings(
        **{
            k: guard[k]
            for k in ("crisis", "context", "concern", "repeat", "classifier")
            if k in guard
        }
    )


if __name__ == "__main__":
    main()
