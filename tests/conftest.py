"""Shared fixtures: the project's files, loaded once per test session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import Library, default_library

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def library() -> Library:
    return default_library()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
