"""Which messages count as another language (bot/core/language.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.language import english_vocabulary, other_language
from bot.quality.nlu_data import held_out_paths, read_examples, training_examples

ROOT = Path(__file__).resolve().parents[1]
HELD_OUT = held_out_paths(ROOT)


@pytest.fixture(scope="module")
def english() -> frozenset[str]:
    # As the component learns it: from the training data, never from the held-out sets.
    return english_vocabulary(t for t, i in training_examples(ROOT) if i != "other_language")


def test_no_english_held_out_message_counts_as_another_language(english: frozenset[str]) -> None:
    flagged = [t for t, _ in read_examples(HELD_OUT) if other_language(t, english)]
    assert flagged == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("¿cuánto tiempo dura el efecto de la esketamina?", "es"),
        ("mi hijo recibe ketamina, ¿es peligroso?", "es"),
        ("necesito ayuda con mi depresión", "es"),
        ("no quiero vivir más", "es"),
        ("quel est le prix du spravato", "fr"),
        ("wie wirkt Ketamin bei Depressionen", "de"),
        ("a cetamina é segura para quem tem depressão?", "pt"),
    ],
)
def test_a_message_in_another_language_is_named(
    english: frozenset[str], text: str, language: str
) -> None:
    assert other_language(text, english) == language


@pytest.mark.parametrize("text", ["hola", "gracias", "", "   ", "🙂🙂"])
def test_a_message_of_fewer_than_two_words_is_not_judged(
    english: frozenset[str], text: str
) -> None:
    assert other_language(text, english) is None


@pytest.mark.parametrize("text", ["wanna die fr", "idk tbh", "u ok rn"])
def test_english_chat_shorthand_is_english(english: frozenset[str], text: str) -> None:
    assert other_language(text, english) is None
