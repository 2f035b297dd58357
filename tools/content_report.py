"""Write the content report: every patient text with its scores, sources and reviews.

One self-contained HTML page (inline CSS, no scripts) for clinicians and editors
who review the content without reading YAML. ``make content-report`` writes it to
``reports/content-report.html``. The checks are those of :mod:`bot.quality.content_gates`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from bot.core.content import AnswerUnit, Library, Source, Topic, load_library
from bot.core.signoff import (
    SIGNOFF_FILE,
    Answer,
    Record,
    read_records,
    status,
    topic_answer,
    unit_answer,
)
from bot.core.yaml_files import read_yaml
from bot.quality.content_gates import (
    Policy,
    Readability,
    load_policy,
    months_before,
    readability,
    review_age_days,
    reviewed_items,
    run_gates,
)
from bot.quality.nlu_annotations import Mention, training_mentions
from bot.quality.nlu_data import training_examples
from bot.quality.patient_texts import (
    PROSE,
    PatientText,
    domain_texts,
    iter_patient_texts,
    message_texts,
    topic_texts,
    unit_texts,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "reports" / "content-report.html"

CSS = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933;
  background: #f5f7fa; margin: 0; }
main { max-width: 980px; margin: 0 auto; padding: 24px 20px 64px; }
h1 { font-size: 1.8em; margin: 0 0 4px; }
h2 { margin: 40px 0 12px; padding-bottom: 4px; border-bottom: 2px solid #d9e2ec; }
h3 { margin: 0 0 4px; font-size: 1.25em; }
.muted { color: #627d98; font-size: .9em; }
.card { background: #fff; border: 1px solid #d9e2ec; border-radius: 10px; padding: 18px 20px;
  margin: 16px 0; box-shadow: 0 1px 2px rgba(16, 42, 67, .05); }
.stats { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.stat { background: #fff; border: 1px solid #d9e2ec; border-radius: 10px; padding: 10px 16px;
  min-width: 130px; }
.stat b { display: block; font-size: 1.6em; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: .8em;
  font-weight: 600; white-space: nowrap; }
.pass { background: #e3f9e5; color: #0e5814; }
.fail { background: #ffe3e3; color: #8a041a; }
.note { background: #fff3c4; color: #8d2b0b; }
.info { background: #e6f0ff; color: #0b4f9c; }
.entry { margin: 14px 0; }
.entry-head { display: flex; flex-wrap: wrap; gap: 8px; align-items: baseline; }
.where { font-family: ui-monospace, monospace; font-size: .85em; color: #486581; }
.bubble { background: #eef4fb; border-radius: 14px 14px 14px 4px; padding: 10px 14px;
  margin-top: 6px; white-space: pre-line; max-width: 760px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: .92em; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e4e7eb;
  vertical-align: top; }
th { color: #486581; font-weight: 600; }
ul { margin: 6px 0; padding-left: 22px; }
.chips span { display: inline-block; background: #f0f4f8; border-radius: 6px; padding: 1px 8px;
  margin: 2px 4px 2px 0; font-size: .88em; }
a { color: #0b69a3; }
"""


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report shows, loaded once."""

    library: Library
    domain: Mapping[str, Any]
    policy: Policy
    mentions: Sequence[Mention]
    examples: Sequence[tuple[str, str]]
    today: dt.date
    signoffs: Mapping[str, Record]


def load_inputs(root: Path = ROOT, today: dt.date | None = None) -> ReportInputs:
    """The project's content, domain, policy and training data."""
    return ReportInputs(
        library=load_library(root / "content"),
        domain=read_yaml(root / "domain.yml"),
        policy=load_policy(root / "content"),
        mentions=training_mentions(root),
        examples=training_examples(root),
        today=today or dt.date.today(),
        signoffs=read_records(root / "content" / SIGNOFF_FILE.name),
    )


def badge(ok: bool, yes: str = "pass", no: str = "fail") -> str:
    """A green or red label."""
    return f'<span class="badge {"pass" if ok else "fail"}">{escape(yes if ok else no)}</span>'


def scores(score: Readability, policy: Policy) -> str:
    """Readability badges: grade, reading ease, and whether both pass."""
    grade_ok = score.grade <= policy.max_grade
    ease_ok = score.ease >= policy.min_reading_ease
    return (
        f'<span class="badge {"pass" if grade_ok else "fail"}">grade {score.grade:.1f}</span> '
        f'<span class="badge {"pass" if ease_ok else "fail"}">ease {score.ease:.1f}</span> '
        + badge(score.passes(policy))
    )


def _label(where: str) -> str:
    field = where.split(" ", 1)[1]
    if field.startswith("sections["):
        return f"Section: {field[len('sections[') : -1]}"
    if field.startswith("more_exhausted["):
        return "When there is no more to tell"
    return {"summary": "Short answer", "more": "Tell me more"}.get(field, field)


def _entry(text: PatientText, label: str, policy: Policy) -> str:
    return (
        f'<div class="entry"><div class="entry-head"><strong>{escape(label)}</strong>'
        f'<span class="where">{escape(text.where)}</span>'
        f"{scores(readability(text.text), policy)}</div>"
        f'<div class="bubble">{escape(text.text)}</div></div>'
    )


def link(url: str, title: str) -> str:
    """A link to ``url``; an address that is not https stays text."""
    if not url.startswith("https://"):  # never render another scheme as a link
        return escape(f"{title} ({url})")
    return f'<a href="{escape(url, quote=True)}">{escape(title)}</a>'


def _summary(inputs: ReportInputs, gates: Mapping[str, list[str]]) -> str:
    texts = list(iter_patient_texts(inputs.library, inputs.domain))
    prose = [t for t in texts if t.kind == PROSE]
    readable = sum(readability(t.text).passes(inputs.policy) for t in prose)
    failing = [name for name, failures in gates.items() if failures]
    pending = sum("pending" in t.reviewed_by for t in reviewed_items(inputs.library))
    stats = [
        (len(inputs.library.topics), "topics"),
        (len(inputs.library.units), "answer units"),
        (len(prose), "texts scored"),
        (f"{readable}/{len(prose)}", "readable texts"),
        (len(texts) - len(prose), "labels checked"),
        (f"{len(gates) - len(failing)}/{len(gates)}", "gates passing"),
        (pending, "topics and units pending clinician review"),
    ]
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{badge(not failures)}</td><td>"
        + (
            "<ul>" + "".join(f"<li>{escape(f)}</li>" for f in failures) + "</ul>"
            if failures
            else ""
        )
        + "</td></tr>"
        for name, failures in gates.items()
    )
    cards = "".join(f'<div class="stat"><b>{escape(str(n))}</b>{escape(k)}</div>' for n, k in stats)
    limits = (
        f"Readable means Flesch-Kincaid grade at most {inputs.policy.max_grade:g} and Flesch "
        f"reading ease at least {inputs.policy.min_reading_ease:g}, URLs left out. A review "
        f"is stale after {inputs.policy.max_review_age_months} months."
    )
    return (
        f'<div class="stats">{cards}</div><div class="card"><h3>Gates</h3>'
        f'<p class="muted">{escape(limits)}</p>'
        f"<table><tr><th>Gate</th><th>Status</th><th>Failures</th></tr>{rows}</table></div>"
    )


def _routes(topic: Topic, inputs: ReportInputs) -> str:
    intent_count = sum(1 for _, intent in inputs.examples if intent == topic.intent)
    counts = Counter((m.entity, m.value) for m in inputs.mentions)
    in_intent = Counter((m.entity, m.value) for m in inputs.mentions if m.intent == topic.intent)
    rows = "".join(
        f"<tr><td>{escape(s.entity)} = {escape(s.value)}</td><td>{counts[s.entity, s.value]}</td>"
        f"<td>{in_intent[s.entity, s.value]}</td></tr>"
        for s in topic.sections
    )
    table = (
        "<table><tr><th>Entity value (picks a section)</th><th>Examples, all intents</th>"
        f"<th>Examples, {escape(topic.intent)}</th></tr>{rows}</table>"
        if rows
        else ""
    )
    return (
        f"<p>Reached by intent <code>{escape(topic.intent)}</code>: "
        f"{intent_count} training examples {badge(intent_count > 0, 'reachable', 'none')}</p>"
        + table
    )


def source_items(sources: Iterable[Source], policy: Policy) -> str:
    """List items for ``sources``: each a link, its publisher and whether it is listed."""
    return "".join(
        f"<li>{link(s.url, s.title)} <span class='muted'>{escape(s.publisher)}"
        f" ({escape(policy.publishers.get(s.publisher, 'not on the list'))})</span> "
        f"{badge(s.publisher in policy.publishers, 'listed', 'not listed')}</li>"
        for s in sources
    )


def signoff_badge(answer: Answer, inputs: ReportInputs) -> str:
    """Whether a clinician signed the answer off as it reads now."""
    record = inputs.signoffs.get(answer.id)
    state = status(answer, record)
    if state == "signed" and record is not None:
        return badge(True, f"signed off by {record.role} on {record.date}")
    label = "changed since sign-off" if state == "changed" else "pending clinician sign-off"
    return f'<span class="badge note">{label}</span>'


def _unit(unit: AnswerUnit, inputs: ReportInputs) -> str:
    answer = next(t for t in unit_texts(unit) if t.kind == PROSE)
    examples = "".join(f"<span>{escape(e)}</span>" for e in unit.examples)
    provider = (
        ' <span class="badge info">adds the provider line</span>' if unit.personal_decision else ""
    )
    return (
        f'<div class="unit" id="{escape(unit.id, quote=True)}"><h4>{escape(unit.question)}</h4>'
        f'<p class="muted">{escape(unit.id)}: reviewed {escape(str(unit.last_reviewed))} by '
        f"{escape(unit.reviewed_by)}{provider} "
        f"{signoff_badge(unit_answer(unit), inputs)}</p>"
        f"{_entry(answer, 'answer', inputs.policy)}"
        f'<div class="chips">{examples}</div>'
        f"<ul>{source_items(unit.sources, inputs.policy)}</ul></div>"
    )


def _topic(topic: Topic, inputs: ReportInputs) -> str:
    policy, today = inputs.policy, inputs.today
    age = review_age_days(topic, today)
    fresh = months_before(today, policy.max_review_age_months) <= topic.last_reviewed <= today
    role_ok = topic.reviewed_by in policy.reviewer_roles
    texts = topic_texts(topic, inputs.library)
    entries = "".join(_entry(t, _label(t.where), policy) for t in texts if t.kind == PROSE)
    chips = "".join(f"<span>{escape(t.text)}</span>" for t in texts if t.kind != PROSE)
    sources = source_items(topic.sources, policy)
    units = "".join(
        _unit(u, inputs) for u in inputs.library.units.values() if u.topic == topic.intent
    )
    provider = (
        '<span class="badge info">ends with the provider line</span>'
        if topic.personal_decision
        else ""
    )
    return (
        f'<section class="card" id="{escape(topic.intent, quote=True)}">'
        f"<h3>{escape(topic.title)}</h3>"
        f'<p class="muted">{escape(topic.intent)}.yml {provider}</p>'
        f"<p>Last reviewed {escape(str(topic.last_reviewed))}, {age} days ago "
        f"{badge(fresh, 'current', 'stale')} by {escape(topic.reviewed_by)} "
        f"{badge(role_ok, 'allowed role', 'unknown role')} "
        f"{signoff_badge(topic_answer(topic), inputs)}</p>"
        f"{_routes(topic, inputs)}{entries}"
        f'<p><strong>Titles and buttons</strong></p><div class="chips">{chips}</div>'
        f"<p><strong>Sources</strong></p><ul>{sources}</ul>"
        f"<p><strong>Answer units</strong> (one question each)</p>{units}</section>"
    )


def _plain_entries(texts: Iterable[PatientText], policy: Policy) -> str:
    parts = []
    for text in texts:
        if text.kind == PROSE:
            parts.append(_entry(text, text.where.split(" ", 1)[1], policy))
        else:
            parts.append(
                f'<div class="chips"><span class="where">{escape(text.where)}</span> '
                f"<span>{escape(text.text)}</span></div>"
            )
    return f'<div class="card">{"".join(parts)}</div>'


def build_report(inputs: ReportInputs) -> str:
    """The whole report as one HTML page."""
    gates = run_gates(
        inputs.library,
        list(iter_patient_texts(inputs.library, inputs.domain)),
        inputs.policy,
        inputs.mentions,
        inputs.examples,
        inputs.today,
    )
    topics = "".join(_topic(t, inputs) for t in inputs.library.topics.values())
    toc = "".join(
        f'<li><a href="#{escape(t.intent, quote=True)}">{escape(t.title)}</a></li>'
        for t in inputs.library.topics.values()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Content report</title><style>{CSS}</style></head><body><main>"
        "<h1>Content report</h1>"
        f'<p class="muted">Everything the assistant can say to a patient, as they see it. '
        f"Generated {escape(inputs.today.isoformat())}.</p>"
        f"{_summary(inputs, gates)}"
        f"<h2>Topics</h2><ul>{toc}</ul>{topics}"
        "<h2>Fixed messages (content/messages.yml)</h2>"
        f"{_plain_entries(message_texts(inputs.library.messages), inputs.policy)}"
        "<h2>Rasa responses (domain.yml)</h2>"
        f"{_plain_entries(domain_texts(inputs.domain), inputs.policy)}"
        "</main></body></html>\n"
    )


def write_report(out: Path, inputs: ReportInputs) -> None:
    """Write the report to ``out``, making its folder when needed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_report(inputs), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    """Write the content report and say where it is."""
    parser = argparse.ArgumentParser(description="Write the content report (HTML).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="HTML file to write")
    parser.add_argument(
        "--today", type=dt.date.fromisoformat, help="date to measure review ages from (YYYY-MM-DD)"
    )
    args = parser.parse_args(argv)
    write_report(args.out, load_inputs(today=args.today))
    sys.stdout.write(f"Wrote {args.out}\n")


if __name__ == "__main__":
    main()
