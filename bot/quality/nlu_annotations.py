"""Entity annotations in the NLU training data, resolved to canonical values.

Rasa resolves ``[Spravato](medication)`` to the value ``esketamine`` through the
synonyms; this module does the same from the raw example lines, so the content
gates can check that every value a question can carry has a section to answer it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.quality.nlu_data import ANNOTATION, example_lines, read_blocks


@dataclass(frozen=True)
class Mention:
    """One annotated entity in one training example."""

    intent: str
    entity: str
    value: str
    file: str


def read_synonyms(paths: Iterable[Path]) -> dict[str, str]:
    """Surface form (lower case, as Rasa looks it up) to canonical value."""
    return {
        form.lower(): str(block["synonym"])
        for _, block in read_blocks(paths)
        if "synonym" in block
        for form in example_lines(block)
    }


def annotated_values(example: str, synonyms: Mapping[str, str]) -> list[tuple[str, str]]:
    """The (entity, value) pairs annotated in one raw example line."""
    pairs = []
    for match in ANNOTATION.finditer(example):
        text = match["text"]
        if match["json"]:
            spec = json.loads(match["json"])
            entity, value = str(spec["entity"]), spec.get("value")
        else:
            # The old "(entity:value)" form still parses in Rasa 3.
            entity, _, value = match["entity"].partition(":")
        if not value:
            value = synonyms.get(text.lower(), text.lower())
        pairs.append((entity, str(value)))
    return pairs


def read_mentions(paths: Iterable[Path], synonyms: Mapping[str, str]) -> list[Mention]:
    """Every entity annotation in the intent examples of the given NLU files."""
    return [
        Mention(str(block["intent"]), entity, value, file)
        for file, block in read_blocks(paths)
        if "intent" in block
        for line in example_lines(block)
        for entity, value in annotated_values(line, synonyms)
    ]


def training_mentions(root: Path = Path(".")) -> list[Mention]:
    """The entity annotations of the project's training data (``data/nlu/*.yml``)."""
    paths = sorted((root / "data" / "nlu").glob("*.yml"))
    return read_mentions(paths, read_synonyms(paths))
