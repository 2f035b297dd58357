"""DIET loaded without Rasa's training step predicts exactly what Rasa's own load does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.server import model_loading
from tools.rasa_agent import parse_texts

MODEL = Path(__file__).resolve().parents[1] / "models" / "current.tar.gz"
TEXTS = [
    "hi",
    "does ketamine cause nausea?",
    "how long does spravato last and is it addictive",
    "is esketamine covered by insurance",
    "I want to kill myself",
    "tell me more",
]


def test_install_and_uninstall_swap_rasas_load() -> None:
    from rasa.utils.tensorflow.models import RasaModel

    original = RasaModel.__dict__["load"]
    model_loading.install()
    try:
        assert RasaModel.__dict__["load"].__func__ is model_loading.load_for_prediction
    finally:
        model_loading.uninstall()
    assert RasaModel.__dict__["load"] is original


def fast_loaded_parses() -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    model_loading.install()
    try:
        agent = Agent.load(str(MODEL))
    finally:
        model_loading.uninstall()
    return [parse for parse, _ in parse_texts(agent, TEXTS)]


@pytest.mark.model
def test_the_fast_load_gives_the_same_parse_as_rasas_own(agent) -> None:
    rasas_own = [parse for parse, _ in parse_texts(agent, TEXTS)]
    assert fast_loaded_parses() == rasas_own
