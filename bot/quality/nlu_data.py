"""Read Rasa NLU YAML files as plain (text, intent) pairs, annotations removed."""

from __future__ import annotations

import re
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


# In the order they were written, so reports read from the oldest set to the newest.
HELD_OUT_ORDER = ("", "fresh", "third", "fourth", "fifth", "sixth")


def held_out_paths(root: Path = Path(".")) -> list[Path]:
    """The held-out sets (``tests/nlu/heldout*.yml``), oldest first; unknown names last."""

    def age(path: Path) -> tuple[int, str]:
        suffix = path.stem.removeprefix("heldout").lstrip("_")
        known = suffix in HELD_OUT_ORDER
        return (HELD_OUT_ORDER.index(suffix) if known else len(HELD_OUT_ORDER), path.name)

    return sorted((root / "tests" / "nlu").glob("heldout*.yml"), key=age)
