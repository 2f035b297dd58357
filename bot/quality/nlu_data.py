"""Read Rasa NLU YAML files: their blocks, example lines and entity annotations.

:mod:`bot.quality.nlu_annotations` resolves the annotations to entity values; the
rest of the project reads the examples as plain (text, intent) pairs.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from bot.core.yaml_files import read_yaml

# [text](entity) or [text]{"entity": ..., "value": ...}
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]*)\)|(?P<json>\{[^}]*\}))")


def plain_text(example: str) -> str:
    """The example as a user would type it, without entity annotations."""
    return ANNOTATION.sub(r"\g<text>", example).strip()


def normalise(text: str) -> str:
    """Lower case with runs of whitespace made one space, for duplicate checks."""
    return " ".join(text.lower().split())


def read_blocks(paths: Iterable[Path]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each block of the ``nlu:`` lists (intent, synonym, ...) with its file's name."""
    for path in paths:
        data = read_yaml(path) or {}
        for block in data.get("nlu") or []:
            yield path.name, block


def example_lines(block: Mapping[str, Any]) -> Iterator[str]:
    """The raw example lines of one block, annotations kept, without the leading ``- ``."""
    for line in str(block.get("examples", "")).splitlines():
        line = line.strip()
        if line.startswith("- "):
            yield line[2:]


def read_examples(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """Every (text, intent) pair in the given NLU files, in file order."""
    return [
        (plain_text(line), str(block["intent"]))
        for _, block in read_blocks(paths)
        if "intent" in block
        for line in example_lines(block)
    ]


def training_examples(root: Path = Path(".")) -> list[tuple[str, str]]:
    """The project's training examples (``data/nlu/*.yml``)."""
    return read_examples(sorted((root / "data" / "nlu").glob("*.yml")))


def held_out_paths(root: Path = Path(".")) -> list[Path]:
    """The held-out sets (``tests/nlu/heldout/round<N>.yml``), oldest (lowest N) first."""

    def age(path: Path) -> tuple[int, str]:
        number = path.stem.removeprefix("round")
        return (int(number) if number.isdigit() else sys.maxsize, path.name)

    return sorted((root / "tests" / "nlu" / "heldout").glob("*.yml"), key=age)
