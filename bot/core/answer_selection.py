"""Choose what to answer: an answer unit per question asked, or an honest "no good answer".

Pure logic over the retrieval candidates (:mod:`bot.nlu.retrieval`) and the predicted
intent, shared by the answer action and ``make bench-answers``. The topic the
classifier predicts is a prior, not a gate: a question on the boundary of two
topics still finds its unit in the other one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.nlu.retrieval import ANSWERS_KEY, PARTS_KEY, Candidate, candidates_from

PERSONAL_ADVICE = "ask_personal_advice"
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"

ANSWER = "answer"
NO_GOOD_ANSWER = "no_good_answer"
NOT_UNDERSTOOD = "not_understood"
PERSONAL = "personal"
DECLINE_OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Settings:
    """How sure retrieval must be: chosen on the development question sets, not held-out ones."""

    prior_weight: float = 0.3
    """How much the predicted topic's confidence adds to its units' scores."""
    threshold: float = 0.65
    """Score a unit needs to be given as the answer."""
    out_of_scope_threshold: float = 0.75
    """Score needed when the classifier says the question is out of scope."""
    personal_threshold: float = 0.45
    """Score needed for a personal question, whose intent adds no topic prior."""
    suggestion_floor: float = 0.2
    """Below this the closest units are not offered, and a fallback counts as not understood."""
    suggestions: int = 3


@dataclass(frozen=True)
class Choice:
    """What to reply: ``kind`` says how, ``units`` what to answer, ``suggestions`` what to offer."""

    kind: str
    units: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    ranked: tuple[str, ...] = field(default=(), compare=False)
    """Every unit candidate best first, for measuring (hit@3)."""

    @property
    def personal(self) -> bool:
        """True when the person asked about their own case, so the provider line follows."""
        return self.kind == PERSONAL


def rescore(
    candidates: Sequence[Candidate],
    ranking: Mapping[str, float],
    unit_topics: Mapping[str, str],
    settings: Settings,
) -> list[tuple[str, float]]:
    """(unit, score) best first, each retrieval score raised by its topic's confidence."""
    scored = [
        (c.unit, c.score + settings.prior_weight * ranking.get(unit_topics.get(c.unit, ""), 0.0))
        for c in candidates
        if c.unit in unit_topics
    ]
    return sorted(scored, key=lambda pair: -pair[1])


def choose(
    intent: str,
    ranking: Mapping[str, float],
    candidates: Sequence[Candidate],
    parts: Sequence[Sequence[Candidate]],
    unit_topics: Mapping[str, str],
    settings: Settings = Settings(),
) -> Choice:
    """The reply for one message.

    ``candidates`` match the whole message; ``parts`` hold the candidates of each
    question when the message asks several. Several parts that each clearly match a
    different unit get one answer each; otherwise the whole message gets one.
    """
    threshold = {
        OUT_OF_SCOPE: settings.out_of_scope_threshold,
        PERSONAL_ADVICE: settings.personal_threshold,
    }.get(intent, settings.threshold)
    whole = rescore(candidates, ranking, unit_topics, settings)
    ranked = tuple(unit for unit, _ in whole)
    per_part = [rescore(part, ranking, unit_topics, settings)[:1] for part in parts]
    answered = tuple(dict.fromkeys(p[0][0] for p in per_part if p and p[0][1] >= threshold))
    if len(answered) < 2:
        answered = (whole[0][0],) if whole and whole[0][1] >= threshold else ()
    if answered:
        kind = PERSONAL if intent == PERSONAL_ADVICE else ANSWER
        return Choice(kind, answered, ranked=ranked)
    near = tuple(u for u, s in whole[: settings.suggestions] if s >= settings.suggestion_floor)
    if intent == PERSONAL_ADVICE:
        return Choice(PERSONAL, suggestions=near, ranked=ranked)
    if intent == OUT_OF_SCOPE:
        return Choice(DECLINE_OUT_OF_SCOPE, ranked=ranked)
    if intent == FALLBACK and not near:
        return Choice(NOT_UNDERSTOOD, ranked=ranked)
    return Choice(NO_GOOD_ANSWER, suggestions=near, ranked=ranked)


def intent_ranking(parse: Mapping[str, Any]) -> dict[str, float]:
    """Each intent's confidence in a message's parse data."""
    return {r["name"]: float(r["confidence"]) for r in parse.get("intent_ranking") or []}


def choose_for_parse(
    parse: Mapping[str, Any], unit_topics: Mapping[str, str], settings: Settings = Settings()
) -> Choice:
    """The reply for one message, from the parse data Rasa keeps for it."""
    return choose(
        (parse.get("intent") or {}).get("name") or "",
        intent_ranking(parse),
        candidates_from(parse.get(ANSWERS_KEY)),
        [candidates_from(part) for part in parse.get(PARTS_KEY) or []],
        unit_topics,
        settings,
    )
