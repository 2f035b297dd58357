"""Experiment: fine-tune MiniLM on the units' wordings and compare answer retrieval with it.

The model fine-tunes all-MiniLM-L6-v2 on the answer units' wordings when it is trained
(:mod:`bot.nlu.tuned_encoder`). This tool fine-tunes a copy with the settings given, then
ranks every question set with the published and the tuned encoder side by side: rank-1
and hit@3 of the ranking alone, and hit@1 and wrong answers after the answer action's
choice, with the shipped settings and with settings chosen again on the development
sets. The intent ranking comes from the trained model (``models/current.tar.gz``).

Results are in ``docs/answers.md``.

    python -m tools.encoder_tuning --epochs 3      # about 23 min of training on 2 cores
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.answer_selection import Settings
from bot.core.content import load_library
from bot.core.questions import split_questions
from bot.core.wordings import load_wordings
from bot.nlu.answer_retriever import MAX_PARTS
from bot.nlu.encoder_tuning import Tuning, fine_tune, unit_groups
from bot.nlu.retrieval import ANSWERS_KEY, PARTS_KEY, UnitIndex
from bot.nlu.sentence_encoder import SentenceEncoder, default_encoder
from tools.answer_eval import DEV_SETS, Question, read_questions, score, set_paths
from tools.bench_answers import MODEL, project_outcome, reblend, tune
from tools.rasa_agent import Parse, load_agent, parse_texts


def _reranked(
    parsed: Sequence[tuple[Parse, float]], texts: Sequence[str], index: UnitIndex, encoder: Any
) -> list[tuple[Parse, float]]:
    """The parses with their answer candidates ranked again by ``index`` and ``encoder``."""

    def ranked(text: str) -> list[dict[str, Any]]:
        return [c.as_dict() for c in index.rank(text, encoder.encode_one(text))]

    out = []
    for text, (parse, ms) in zip(texts, parsed, strict=True):
        parts = split_questions(text)
        by_part = [ranked(p) for p in parts] if 2 <= len(parts) <= MAX_PARTS else []
        out.append(({**parse, ANSWERS_KEY: ranked(text), PARTS_KEY: by_part}, ms))
    return out


def _ranking_figures(qs: Sequence[Question], parses: Sequence[tuple[Parse, float]]) -> str:
    """Rank-1 and hit@3 of the ranking alone, over the answerable questions."""
    tops = [
        (q.units, [c["unit"] for c in p[ANSWERS_KEY][:3]])
        for q, (p, _) in zip(qs, parses, strict=True)
        if q.units
    ]
    rank1 = np.mean([top[0] in units for units, top in tops])
    hit3 = np.mean([any(u in units for u in top) for units, top in tops])
    return f"{rank1:.3f} | {hit3:.3f}"


def compare(encoders: dict[str, SentenceEncoder]) -> None:
    """Rank every question set with each encoder and print the figures side by side."""
    library = load_library()
    wordings = load_wordings(library)
    topics = library.unit_topics
    sets = {name: read_questions(path) for name, path in set_paths().items()}
    agent = load_agent(MODEL)
    parsed = {name: parse_texts(agent, [q.text for q in qs]) for name, qs in sets.items()}
    del agent
    for label, encoder in encoders.items():
        index = UnitIndex.build(library.units.values(), encoder, extra=wordings)
        reranked = {
            name: _reranked(parsed[name], [q.text for q in qs], index, encoder)
            for name, qs in sets.items()
        }
        dev = [q for name in DEV_SETS for q in sets[name]]
        weight, chosen = tune([p for name in DEV_SETS for p in reranked[name]], dev, topics)
        print(f"\n{label}: settings chosen again on the dev sets: weight {weight}, {chosen}")
        print("set | rank-1 | hit@3 | hit@1, wrong (shipped) | hit@1, wrong (chosen again)")
        for name, qs in sets.items():
            cells = [name, _ranking_figures(qs, reranked[name])]
            for settings, w in ((Settings(), None), (chosen, weight)):
                outcomes = [
                    project_outcome(p if w is None else reblend(p, w), ms, topics, settings)
                    for p, ms in reranked[name]
                ]
                result = score(qs, outcomes)
                cells.append(f"{result['hit@1']:.3f}, {result['wrong']:.3f}")
            print(" | ".join(cells))


def main() -> None:
    """Fine-tune (unless ``--tuned`` names a saved model), then compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=2e-5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--out", type=Path, default=Path("reports") / "tuned-minilm")
    parser.add_argument("--tuned", type=Path, help="compare a model saved earlier; no training")
    args = parser.parse_args()
    folder = args.tuned or args.out
    if not args.tuned:
        library = load_library()
        tuning = Tuning(args.epochs, args.rate, args.batch)
        fine_tune(unit_groups(library, load_wordings(library)), folder, tuning)
    compare({"published MiniLM": default_encoder(), "tuned MiniLM": SentenceEncoder(folder)})


if __name__ == "__main__":
    main()
