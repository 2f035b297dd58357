"""Answer benchmark: does the reply answer the question asked? Five systems side by side.

On every question set in ``tests/answers/`` (patients' own wording, labelled with the
answer units that answer each question), in one run:

1. ``project``: the trained model (``models/current.tar.gz``) and the answer action's
   choice (:func:`bot.core.answer_selection.choose`) with the settings that ship;
2. ``topic_summary``: the assistant before answer units: the predicted topic's
   summary, which answers the question only when the question is the topic's
   overview (``<topic>_overview``);
3. ``sparse``: TF-IDF cosine retrieval over the units' wordings alone;
4. ``embedding``: MiniLM cosine retrieval over the units' wordings alone;
5. ``rasa_response_selector``: Rasa's own FAQ mechanism, a ``ResponseSelector`` over a
   retrieval intent with one response per unit, trained on the same unit wordings
   (Rasa's default pipeline, the non-knowledge intents from ``data/nlu``).

Rows 3-5 need a threshold below which they decline; each is chosen on the
development sets (:data:`tools.answer_eval.DEV_SETS`, pooled) to maximise hit@1 minus
three times the wrong-answer rate, the same rule that chose the project's settings. Writes
``reports/answer-bench.json`` and ``.md``, and the project's misses in
``reports/answer-errors.md``. A benchmark, not a test: it reports, it does not judge.
Run it with ``make bench-answers``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.core.answer_selection import Settings, choose_for_parse, intent_ranking
from bot.core.content import KNOWLEDGE_INTENTS, Library, load_library
from bot.core.wordings import Wordings, load_wordings
from bot.nlu.retrieval import ANSWERS_KEY, DEFAULT_SIMILARITY_WEIGHT, PARTS_KEY, UnitIndex
from bot.nlu.sentence_encoder import default_encoder
from bot.quality.nlu_data import training_examples
from tools.answer_eval import DEV_SETS, Outcome, Question, read_questions, score, set_paths
from tools.bench_nlu import rasa_stock_config, train_rasa
from tools.rasa_agent import Parse, load_agent, parse_texts

MODEL = Path("models") / "current.tar.gz"
FAQ = "faq"
THRESHOLDS = [round(0.2 + 0.025 * i, 3) for i in range(29)]
WRONG_COST = 3.0


def objective(result: dict[str, Any]) -> float:
    """What the thresholds are chosen for on the development set: a wrong answer costs 3 misses."""
    return float(result["hit@1"]) - WRONG_COST * float(result["wrong"])


def project_outcome(
    parse: Parse, ms: float, unit_topics: dict[str, str], settings: Settings
) -> Outcome:
    """The answer action's choice for one parsed message."""
    started = time.perf_counter()
    choice = choose_for_parse(parse, unit_topics, settings)
    total = ms + 1000 * (time.perf_counter() - started)
    return Outcome(choice.units, choice.ranked, total)


def overview(intent: str) -> str:
    """The id of a topic's overview unit, the one its summary answers."""
    return f"{intent.removeprefix('ask_')}_overview"


def topic_outcome(parse: Parse) -> Outcome:
    """The assistant before units: the predicted topic's summary, or a deflection."""
    ranked = [n for n, _ in sorted(intent_ranking(parse).items(), key=lambda kv: -kv[1])]
    topics = tuple(overview(n) for n in ranked if n in KNOWLEDGE_INTENTS)
    intent = (parse.get("intent") or {}).get("name") or ""
    return Outcome((overview(intent),) if intent in KNOWLEDGE_INTENTS else (), topics)


def similarity_outcomes(
    index: UnitIndex, texts: Sequence[str], vectors: np.ndarray, dense_weight: float
) -> list[tuple[list[str], float]]:
    """Each text's units best first by cosine similarity alone, and the best similarity."""
    out = []
    for text, vector in zip(texts, vectors, strict=True):
        similarity = index.similarity(text, vector, dense_weight)
        best = np.argsort(-similarity, kind="stable")[:3]
        out.append(([index.unit_ids[i] for i in best], float(similarity[best[0]])))
    return out


def thresholded(ranked: Sequence[tuple[list[str], float]], threshold: float) -> list[Outcome]:
    """Answer with the best unit when its score reaches ``threshold``, else decline."""
    return [
        Outcome(tuple(units[:1]) if best >= threshold else (), tuple(units))
        for units, best in ranked
    ]


def best_threshold(dev: Sequence[Question], outcomes_at: Callable[[float], list[Outcome]]) -> float:
    """The threshold that maximises the objective on the development questions."""
    return max(THRESHOLDS, key=lambda t: objective(score(dev, outcomes_at(t))))


# ---------- Rasa's ResponseSelector, the Rasa-native peer ----------


def selector_training_files(
    library: Library, wordings: Wordings, folder: Path
) -> tuple[Path, Path]:
    """NLU data (non-knowledge intents plus ``faq/<unit>``) and a domain with the responses.

    The selector learns from what the project's ranker learns from: each unit's
    wordings and training wordings, and the questions no unit answers as out of scope.
    """
    examples: dict[str, list[str]] = {}
    for text, intent in training_examples():
        if intent not in KNOWLEDGE_INTENTS:
            examples.setdefault(intent, []).append(text)
    examples.setdefault("out_of_scope", []).extend(wordings.none)
    for unit in library.units.values():
        examples[f"{FAQ}/{unit.id}"] = [*unit.texts, *wordings.of(unit.id)]
    nlu = [
        {"intent": intent, "examples": "".join(f"- {json.dumps(t)}\n" for t in texts)}
        for intent, texts in examples.items()
    ]
    nlu_path = folder / "nlu.yml"
    nlu_path.write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu}, sort_keys=False))
    domain = {
        "version": "3.1",
        "intents": sorted({i.split("/")[0] for i in examples}),
        "responses": {f"utter_{FAQ}/{u.id}": [{"text": u.answer}] for u in library.units.values()},
    }
    domain_path = folder / "domain.yml"
    domain_path.write_text(yaml.safe_dump(domain, sort_keys=False))
    return nlu_path, domain_path


def train_response_selector(
    library: Library, wordings: Wordings, folder: Path
) -> tuple[Path, float]:
    """Train Rasa's default pipeline with the units as a retrieval intent."""
    nlu, domain = selector_training_files(library, wordings, folder)
    stock = rasa_stock_config()
    # The selector answers the retrieval intent "faq"; its results are kept under that name.
    pipeline = [
        {**c, "retrieval_intent": FAQ} if c["name"] == "ResponseSelector" else c
        for c in stock["pipeline"]
    ]
    config = {**stock, "pipeline": pipeline, "language": "en"}
    return train_rasa("selector", config, folder, nlu, domain)


def selector_ranked(parse: Parse) -> tuple[list[str], float]:
    """The selector's units best first and its confidence, zero unless the intent is ``faq``."""
    selected = (parse.get("response_selector") or {}).get(FAQ) or {}
    ranking = selected.get("ranking") or []
    units = [str(r["intent_response_key"]).split("/", 1)[1] for r in ranking[:3]]
    intent = (parse.get("intent") or {}).get("name")
    confidence = float((selected.get("response") or {}).get("confidence") or 0.0)
    return units, confidence if intent == FAQ else 0.0


# ---------- the run ----------


def markdown(rows: dict[str, dict[str, dict[str, Any]]], notes: Iterable[str]) -> str:
    """The results as Markdown tables, one per question set."""
    lines = ["# Answer benchmark", ""]
    sets = next(iter(rows.values())).keys()
    for set_name in sets:
        first = next(iter(rows.values()))[set_name]
        lines += [
            f"## {set_name} ({first['questions']} questions, {first['answerable']} answerable)",
            "",
            "| system | hit@1 | hit@3 | no answer | declined (no unit) | wrong | median ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for system, results in rows.items():
            r = results[set_name]
            ms = f"{r['ms_median']:.0f}" if "ms_median" in r else ""
            lines.append(
                f"| {system} | {r['hit@1']:.3f} | {r['hit@3']:.3f} | {r['no_answer']:.3f} "
                f"| {r['declined']:.3f} | {r['wrong']:.3f} | {ms} |"
            )
        lines.append("")
    lines += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    return "\n".join(lines)


def errors_markdown(
    questions: Sequence[Question], outcomes: Sequence[Outcome], library: Library
) -> str:
    """Every held-out question the project did not answer right, for error analysis."""
    lines = ["# Project misses", "", "| question | expected | given |", "|---|---|---|"]
    for q, o in zip(questions, outcomes, strict=True):
        right = (o.answered[:1] and o.answered[0] in q.units) or (not q.units and not o.answered)
        if not right:
            given = ", ".join(o.answered) or "(declined)"
            expected = ", ".join(q.units) or "(decline)"
            lines.append(f"| {q.text.replace('|', '/')} | {expected} | {given} |")
    return "\n".join(lines) + "\n"


def reblend(parse: Parse, similarity_weight: float) -> Parse:
    """The parse with its candidates' scores made with another similarity weight."""

    def again(candidates: Any) -> list[dict[str, Any]]:
        out = [
            {**c, "score": c["probability"] + similarity_weight * c["similarity"]}
            for c in candidates or []
        ]
        return sorted(out, key=lambda c: -c["score"])

    parts = [again(p) for p in parse.get(PARTS_KEY) or []]
    return {**parse, ANSWERS_KEY: again(parse.get(ANSWERS_KEY)), PARTS_KEY: parts}


def tune(
    dev_parsed: Sequence[tuple[Parse, float]], dev: Sequence[Question], unit_topics: dict[str, str]
) -> tuple[float, Settings]:
    """The similarity weight and settings that maximise the objective on the development questions.

    Weights are tried on the candidates the model kept, so they are estimates for weights
    far from the one the model ran with.
    """
    best, best_value = (DEFAULT_SIMILARITY_WEIGHT, Settings()), -1e9
    for weight in (0.25, 0.5, 0.75, 1.0):
        parses = [(reblend(p, weight), ms) for p, ms in dev_parsed]
        for prior in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3):
            for threshold in THRESHOLDS:
                for extra in (0.0, 0.05, 0.1, 0.15, 0.2):
                    settings = replace(
                        Settings(),
                        prior_weight=prior,
                        threshold=threshold,
                        out_of_scope_threshold=round(threshold + extra, 3),
                    )
                    outcomes = [project_outcome(p, ms, unit_topics, settings) for p, ms in parses]
                    value = objective(score(dev, outcomes))
                    if value > best_value:
                        best, best_value = (weight, settings), value
    return best


def main() -> None:
    """Run every system on every question set and write the reports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--skip-peer", action="store_true", help="skip the ResponseSelector row")
    parser.add_argument(
        "--tune", action="store_true", help="only print the best project settings on the dev sets"
    )
    parser.add_argument("--sets", nargs="*", help="only these question sets (default: all)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    library = load_library()
    wordings = load_wordings(library)
    unit_topics = library.unit_topics
    sets = {
        name: read_questions(path)
        for name, path in set_paths().items()
        if not args.sets or name in args.sets or name in DEV_SETS
    }
    dev = [q for name in DEV_SETS for q in sets[name]]
    chosen_on = ", ".join(f"`{name}`" for name in DEV_SETS)
    settings = Settings()
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    notes = [f"project settings (shipped, chosen on {chosen_on}): {settings}"]
    held_out_outcomes: dict[str, list[Outcome]] = {}

    agent = load_agent(args.model)
    if args.tune:
        print(tune(parse_texts(agent, [q.text for q in dev]), dev, unit_topics))
        return

    def pooled(per_set: dict[str, list[Any]]) -> list[Any]:
        return [item for name in DEV_SETS for item in per_set[name]]

    parsed = {name: parse_texts(agent, [q.text for q in qs]) for name, qs in sets.items()}
    del agent  # the peer below trains and loads a model of its own
    rows["project"] = {}
    rows["topic_summary"] = {}
    for name, qs in sets.items():
        outcomes = [project_outcome(p, ms, unit_topics, settings) for p, ms in parsed[name]]
        held_out_outcomes[name] = outcomes
        rows["project"][name] = score(qs, outcomes, unit_topics)
        rows["topic_summary"][name] = score(qs, [topic_outcome(p) for p, _ in parsed[name]])

    index = UnitIndex.build(library.units.values(), default_encoder(), extra=wordings)
    vectors = {n: default_encoder().encode([q.text for q in qs]) for n, qs in sets.items()}
    for system, weight in (("sparse", 0.0), ("embedding", 1.0)):
        ranked = {
            n: similarity_outcomes(index, [q.text for q in qs], vectors[n], weight)
            for n, qs in sets.items()
        }
        threshold = best_threshold(dev, partial(thresholded, pooled(ranked)))
        notes.append(f"{system}: threshold {threshold} (chosen on {chosen_on})")
        rows[system] = {n: score(qs, thresholded(ranked[n], threshold)) for n, qs in sets.items()}

    if not args.skip_peer:
        with tempfile.TemporaryDirectory() as folder:
            model, seconds = train_response_selector(library, wordings, Path(folder))
            peer_agent = load_agent(model)
            peer = {
                n: [selector_ranked(p) for p, _ in parse_texts(peer_agent, [q.text for q in qs])]
                for n, qs in sets.items()
            }
        threshold = best_threshold(dev, partial(thresholded, pooled(peer)))
        notes.append(
            f"rasa_response_selector: trained in {seconds:.0f} s; threshold {threshold} "
            f"(chosen on {chosen_on})"
        )
        rows["rasa_response_selector"] = {
            n: score(qs, thresholded(peer[n], threshold)) for n, qs in sets.items()
        }

    (args.out / "answer-bench.json").write_text(
        json.dumps({"rows": rows, "notes": notes}, indent=2)
    )
    (args.out / "answer-bench.md").write_text(markdown(rows, notes))
    errors = "".join(
        f"## {name}\n\n" + errors_markdown(qs, held_out_outcomes[name], library)
        for name, qs in sets.items()
    )
    (args.out / "answer-errors.md").write_text(errors)
    print(markdown(rows, notes))


if __name__ == "__main__":
    main()
