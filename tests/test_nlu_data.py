"""The held-out NLU sets are independent of the training data and cover the contract."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.core.content import CONTRACT_INTENTS, DOMAIN_INTENTS
from bot.quality.nlu_data import (
    held_out_paths,
    normalise,
    plain_text,
    read_examples,
    training_examples,
)

ROOT = Path(__file__).resolve().parents[1]
HELD_OUT = held_out_paths(ROOT)


@pytest.mark.parametrize("path", HELD_OUT, ids=lambda p: p.name)
def test_no_held_out_sentence_is_in_the_training_data(path):
    trained = {normalise(text) for text, _ in training_examples(ROOT)}
    leaked = [text for text, _ in read_examples([path]) if normalise(text) in trained]
    assert leaked == []


@pytest.mark.parametrize("path", HELD_OUT, ids=lambda p: p.name)
def test_held_out_set_has_20_examples_for_every_contract_intent(path):
    counts = Counter(intent for _, intent in read_examples([path]))
    assert set(counts) == set(CONTRACT_INTENTS)
    assert min(counts.values()) >= 20


def test_training_data_covers_every_contract_intent():
    assert {intent for _, intent in training_examples(ROOT)} == set(DOMAIN_INTENTS)


def test_annotations_are_removed_from_examples():
    assert (
        plain_text('is [spravato]{"entity": "medication"} like [iv](route)')
        == "is spravato like iv"
    )


def test_held_out_sets_are_listed_oldest_first(tmp_path):
    folder = tmp_path / "tests" / "nlu" / "heldout"
    folder.mkdir(parents=True)
    for name in ["round3.yml", "zeta.yml", "round10.yml", "round1.yml", "round2.yml"]:
        (folder / name).write_text("nlu: []\n")
    names = [p.name for p in held_out_paths(tmp_path)]
    assert names == ["round1.yml", "round2.yml", "round3.yml", "round10.yml", "zeta.yml"]
