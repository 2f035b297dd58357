"""DIET loaded without Rasa's training step predicts exactly what Rasa's own load does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.server import model_loading

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


def parses(patched: bool) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    if patched:
        model_loading.install()
    try:
        agent = Agent.load(str(MODEL))
    finally:
        model_loading.uninstall()
    loop = asyncio.new_event_loop()
    try:
        return [loop.run_until_complete(agent.parse_message(t)) for t in TEXTS]
    finally:
        loop.close()


@pytest.fixture(scope="module")
def rasas_own() -> Iterator[list[dict[str, Any]]]:
    assert MODEL.exists(), "train first: make train"
    yield parses(patched=False)


@pytest.mark.model
def test_the_fast_load_gives_the_same_parse_as_rasas_own(
    rasas_own: list[dict[str, Any]],
) -> None:
    assert parses(patched=True) == rasas_own
