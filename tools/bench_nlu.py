"""NLU benchmark: the project's pipeline against the alternatives, on held-out sets.

Trains on ``data/nlu`` and evaluates on every ``tests/nlu/heldout/`` set, in one run:

1. ``project``: the project's pipeline (``config.yml``);
2. ``rasa_stock``: Rasa's default pipeline, the one ``rasa init`` uses (no spaCy);
3. ``project_no_spacy``: ``config.yml`` without the spaCy components (ablation);
4. ``tfidf_logreg``: TF-IDF word and character n-grams with logistic regression
   (scikit-learn), a simple non-Rasa baseline.

Writes ``reports/nlu-bench.json``, ``reports/nlu-bench.md``, and for the project's
pipeline a confusion matrix PNG and the list of messages it got wrong
(``reports/nlu-errors-project.md``). A benchmark, not a test: it reports, it does not judge.
Run it with ``make bench-nlu``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import joblib
import yaml

from bot.core.content import CONTRACT_INTENTS
from bot.core.yaml_files import read_yaml
from bot.nlu.text_classifier import predict_ranking, train_classifier
from bot.quality.nlu_data import held_out_paths, read_examples, training_examples
from bot.quality.nlu_metrics import intent_metrics
from tools.rasa_agent import load_agent

ROOT = Path(".")
SPACY_COMPONENTS = {"SpacyNLP", "SpacyTokenizer", "SpacyFeaturizer"}

Parser = Callable[[str], tuple[str, list[str]]]
"""Returns the predicted intent and the intents of each question asked (two-part)."""


def rasa_stock_config() -> dict[str, Any]:
    """Rasa's default NLU pipeline, read from the installed Rasa itself."""
    import rasa.engine.recipes

    path = Path(rasa.engine.recipes.__file__).parent / "config_files" / "default_config.yml"
    config = read_yaml(path)
    config.pop("policies", None)
    return dict(config)


def without_spacy(config: dict[str, Any]) -> dict[str, Any]:
    """The same pipeline with spaCy's components replaced by a whitespace tokenizer."""
    pipeline = [c for c in config["pipeline"] if c["name"] not in SPACY_COMPONENTS]
    return {**config, "pipeline": [{"name": "WhitespaceTokenizer"}, *pipeline]}


def train_rasa(
    name: str,
    config: dict[str, Any],
    out: Path,
    nlu: Path = Path("data/nlu"),
    domain: Path | None = None,
) -> tuple[Path, float]:
    """Train an NLU-only Rasa model; its path and the wall time of ``rasa train nlu``.

    ``domain`` is needed only for responses of retrieval intents.
    """
    config_path = out / f"{name}.config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    started = time.perf_counter()
    subprocess.run(
        [
            ".venv/bin/rasa",
            "train",
            "nlu",
            "--config",
            str(config_path),
            "--nlu",
            str(nlu),
            *(["--domain", str(domain)] if domain else []),
            "--out",
            str(out),
            "--fixed-model-name",
            name,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    return out / f"{name}.tar.gz", time.perf_counter() - started


def rasa_parser(model: Path) -> tuple[Parser, Callable[[], None]]:
    """A parser backed by a loaded Rasa model, and a function that closes it."""
    loop = asyncio.new_event_loop()
    agent = load_agent(model)

    def parse(text: str) -> tuple[str, list[str]]:
        result = loop.run_until_complete(agent.parse_message(text))
        intent = (result.get("intent") or {}).get("name") or ""
        questions = [q["intent"] for q in result.get("questions") or []]
        return intent, questions or [intent]

    return parse, loop.close


def evaluate(parse: Parser, sets: dict[str, list[tuple[str, str]]], two_part: list[dict]) -> dict:
    """Metrics on each held-out set, parse latency and the two-part score."""
    results: dict[str, Any] = {}
    latencies: list[float] = []
    predictions: dict[str, list[str]] = {}
    for set_name, examples in sets.items():
        predicted = []
        for text, _ in examples:
            started = time.perf_counter()
            predicted.append(parse(text)[0])
            latencies.append(time.perf_counter() - started)
        expected = [intent for _, intent in examples]
        results[set_name] = intent_metrics(expected, predicted, CONTRACT_INTENTS)
        predictions[set_name] = predicted
    both = sum(set(item["intents"]) <= set(parse(item["text"])[1]) for item in two_part)
    results["two_part_both_answered"] = both / max(1, len(two_part))
    results["parse_ms_mean"] = 1000 * sum(latencies) / max(1, len(latencies))
    results["_predictions"] = predictions
    return results


def confusion_png(expected: Sequence[str], predicted: Sequence[str], path: Path) -> None:
    """Save a confusion matrix of intents as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = [*CONTRACT_INTENTS, "nlu_fallback"]
    figure, axes = plt.subplots(figsize=(14, 13))
    ConfusionMatrixDisplay.from_predictions(
        expected, predicted, labels=labels, ax=axes, xticks_rotation="vertical", colorbar=False
    )
    axes.set_title("Project pipeline on the held-out set (rows: true intent)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


COLUMNS = (
    ("accuracy", "accuracy"),
    ("macro_f1", "macro-F1"),
    ("crisis_recall", "crisis recall"),
    ("crisis_precision", "crisis precision"),
    ("out_of_scope_recall", "out_of_scope recall"),
    ("fallback_rate", "fallback rate"),
)


def markdown_table(rows: dict[str, dict], sets: Sequence[str]) -> str:
    """The benchmark as Markdown: one table per held-out set, then cost columns."""
    lines = []
    for set_name in sets:
        n = rows[next(iter(rows))][set_name]["n"]
        lines += [f"\nHeld-out set `{set_name}` ({n} messages):\n"]
        lines.append("| pipeline | " + " | ".join(title for _, title in COLUMNS) + " |")
        lines.append("|---" * (len(COLUMNS) + 1) + "|")
        for name, row in rows.items():
            cells = [f"{row[set_name][key]:.3f}" for key, _ in COLUMNS]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "\n| pipeline | two-part: both answered | training time (s) | model size (MB) "
        "| mean parse latency (ms) |",
        "|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['two_part_both_answered']:.2f} | {_seconds(row['train_seconds'])} "
            f"| {row['model_mb']:.1f} | {row['parse_ms_mean']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def errors_markdown(
    sets: dict[str, list[tuple[str, str]]], predictions: dict[str, list[str]]
) -> str:
    """Every message a pipeline got wrong, per held-out set, grouped by true intent."""
    lines = ["# Messages the project pipeline got wrong", ""]
    for set_name, examples in sets.items():
        wrong = sorted(
            (intent, predicted, text)
            for (text, intent), predicted in zip(examples, predictions[set_name], strict=True)
            if predicted != intent
        )
        lines += [f"## `{set_name}`: {len(wrong)} of {len(examples)}", ""]
        lines += ["| true intent | predicted | message |", "|---|---|---|"]
        lines += [f"| {i} | {p} | {t.replace('|', '/')} |" for i, p, t in wrong]
        lines.append("")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "n/a (reused model)" if value is None else f"{value:.0f}"


def cross_validate(folds: int, out: Path) -> dict[str, Any]:
    """``rasa test nlu --cross-validation`` of the project's pipeline; its intent summary."""
    subprocess.run(
        [
            ".venv/bin/rasa",
            "test",
            "nlu",
            "--cross-validation",
            "--folds",
            str(folds),
            "--config",
            "config.yml",
            "--nlu",
            "data/nlu",
            "--out",
            str(out),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    report = json.loads((out / "intent_report.json").read_text())
    # scikit-learn names accuracy "micro avg" when predicted and true labels differ.
    accuracy = report.get("accuracy", report.get("micro avg", {}).get("f1-score"))
    return {"folds": folds, "accuracy": accuracy, "macro_f1": report["macro avg"]["f1-score"]}


def main() -> None:
    """Command-line entry point: ``python -m tools.bench_nlu``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--cv-folds", type=int, default=3, help="0 to skip cross-validation")
    parser.add_argument("--only", nargs="*", help="pipelines to run (default: all)")
    parser.add_argument(
        "--reuse-models",
        action="store_true",
        help="evaluate models left by an earlier run instead of training (no training time)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out / "nlu-bench-models"
    work.mkdir(exist_ok=True)

    sets = {p.name: read_examples([p]) for p in held_out_paths()}
    two_part = read_yaml(Path("tests/nlu/two_part.yml"))["two_part"]
    project = read_yaml(Path("config.yml"))
    project.pop("policies", None)
    rasa_configs = {
        "project": project,
        "rasa_stock": rasa_stock_config(),
        "project_no_spacy": without_spacy(project),
    }
    rows: dict[str, dict] = {}
    for name, config in rasa_configs.items():
        if args.only and name not in args.only:
            continue
        model, seconds = work / f"{name}.tar.gz", None
        if not (args.reuse_models and model.exists()):
            print(f"training {name} ...", flush=True)
            model, seconds = train_rasa(name, config, work)
        parse, close = rasa_parser(model)
        rows[name] = {**evaluate(parse, sets, two_part), "train_seconds": seconds}
        rows[name]["model_mb"] = model.stat().st_size / 1e6
        close()
    if not args.only or "tfidf_logreg" in args.only:
        texts, intents = zip(*training_examples(), strict=True)
        started = time.perf_counter()
        classifier = train_classifier(texts, intents)
        seconds = time.perf_counter() - started
        joblib.dump(classifier, work / "tfidf_logreg.joblib")

        def parse_tfidf(text: str) -> tuple[str, list[str]]:
            ranking = predict_ranking(classifier, text)
            intent = max(ranking, key=lambda k: ranking[k])
            return intent, [intent]

        rows["tfidf_logreg"] = {**evaluate(parse_tfidf, sets, two_part), "train_seconds": seconds}
        rows["tfidf_logreg"]["model_mb"] = (work / "tfidf_logreg.joblib").stat().st_size / 1e6

    for row in rows.values():
        for set_name, examples in sets.items():
            row[set_name]["n"] = len(examples)
    if "project" in rows:
        first = next(iter(sets))
        expected = [intent for _, intent in sets[first]]
        confusion_png(
            expected, rows["project"]["_predictions"][first], args.out / "nlu-confusion-project.png"
        )
        (args.out / "nlu-errors-project.md").write_text(
            errors_markdown(sets, rows["project"]["_predictions"])
        )
    report: dict[str, Any] = {
        name: {k: v for k, v in row.items() if k != "_predictions"} for name, row in rows.items()
    }
    table = markdown_table(rows, list(sets))
    # Written before cross-validation, the slowest step, so an interrupted run keeps it.
    (args.out / "nlu-bench.json").write_text(json.dumps(report, indent=2))
    (args.out / "nlu-bench.md").write_text(table)
    if args.cv_folds:
        print(f"cross-validating the project pipeline ({args.cv_folds} folds) ...", flush=True)
        cv = report["project_cross_validation"] = cross_validate(args.cv_folds, args.out / "nlu-cv")
        table += (
            f"\nProject pipeline, {cv['folds']}-fold cross-validation on the training data: "
            f"accuracy {cv['accuracy']:.3f}, macro-F1 {cv['macro_f1']:.3f}\n"
        )
        (args.out / "nlu-bench.json").write_text(json.dumps(report, indent=2))
        (args.out / "nlu-bench.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
