"""Read Rasa NLU YAML files as plain (text, intent) pairs, annotations removed."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml

# [text](entity) or [text]{"entity": ...}: keep only the text.
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def plain_text(example: str) -> str:
    """The example as a user would type it, without entity annotations."""
    return _ANNOTATION.sub(r"\1", example).strip()


def normalise(text: str) -> str:
    """Lower case with runs of whitespace made one space, for duplicate checks."""
    return " ".join(text.lower().split())


def read_examples(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """Every (text, intent) pair in the given NLU files, in file order."""
    pairs = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if "intent" not in block:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    pairs.append((plain_text(line[2:]), str(block["intent"])))
    return pairs


def training_examples(root: Path = Path(".")) -> list[tuple[str, str]]:
    """The project's training examples (``data/nlu/*.yml``)."""
    return read_examples(sorted((root / "data" / "nlu").glob("*.yml")))


def held_out_paths(root: Path = Path(".")) -> list[Path]:
    """The held-out sets (``tests/nlu/heldout/round<N>.yml``), oldest (lowest N) first."""

    def age(path: Path) -> tuple[int, str]:
        number = path.stem.removeprefix("round")
        return (int(number) if number.isdigit() else sys.maxsize, path.name)

    return sorted((root / "tests" / "nlu" / "heldout").glob("*.yml"), key=age)
