"""Which misspelled words are fixed before answer units are ranked (bot/core/spelling.py)."""

from __future__ import annotations

import pytest

from bot.core.content import Library
from bot.core.spelling import Speller, content_speller


@pytest.fixture(scope="module")
def speller(library: Library) -> Speller:
    return content_speller(library)


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("spravado", "spravato"),
        ("ketamin", "ketamine"),
        ("esketamne", "esketamine"),
        ("infussion", "infusion"),
        ("adictive", "addictive"),
        ("pregnent", "pregnant"),
        ("insurence", "insurance"),
        ("withdrawl", "withdrawal"),
    ],
)
def test_a_misspelled_content_word_is_fixed(speller: Speller, typed: str, fixed: str) -> None:
    assert speller.fix_word(typed) == fixed


@pytest.mark.parametrize(
    "word",
    [
        "tumor",  # English, though one letter from "tutor"
        "norketamine",  # a real word the content lacks: not "arketamine"
        "copd",  # short words are too often abbreviations
        "concerta",  # two edits from "concerns", a brand name
        "dont",  # a contraction without its apostrophe
        "vyvanse",  # nothing in the content is near it
        "snris",  # a drug class one letter from "ssris"
    ],
)
def test_a_word_that_is_not_a_known_typo_is_left_alone(speller: Speller, word: str) -> None:
    assert speller.fix_word(word) is None


def test_a_sentence_keeps_everything_but_its_typos(speller: Speller) -> None:
    assert (
        speller.fix("Is Spravado adictive? I didn't like ketamin.")
        == "Is spravato addictive? I didn't like ketamine."
    )


def test_a_word_with_an_apostrophe_is_never_cut_and_fixed(speller: Speller) -> None:
    assert speller.fix("it wasn't working") == "it wasn't working"
