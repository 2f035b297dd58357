"""Shared fixtures: the project's files, loaded once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from bot.core.content import Library, default_library
from tests.servers import Postgres

if TYPE_CHECKING:
    from rasa.core.agent import Agent

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "current.tar.gz"


@pytest.fixture(scope="session")
def library() -> Library:
    return default_library()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL server for the whole test session (`make test-install`)."""
    database = Postgres()
    yield database
    database.remove()


@pytest.fixture(scope="session")
def agent() -> Agent:
    """The trained model, loaded once for every test that parses in-process (`make train`)."""
    from tools.rasa_agent import load_agent

    assert MODEL.exists(), "train first: make train"
    return load_agent(MODEL)
