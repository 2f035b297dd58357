"""Shared fixtures: the project's files, loaded once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.content import Library, default_library
from tests.servers import Postgres

ROOT = Path(__file__).resolve().parents[1]


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
