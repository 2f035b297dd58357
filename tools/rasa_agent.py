"""A trained Rasa model loaded once, for the benchmarks and the quality tests.

Loading the model takes most of a minute (spaCy, two sentence encoders, DIET), so a
caller loads it once and parses every set with it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rasa.core.agent import Agent

Parse = dict[str, Any]


def load_agent(model: Path) -> Agent:
    """The trained model at ``model``, ready to parse."""
    import structlog
    from rasa.core.agent import Agent

    # Rasa logs every parse with its text at debug level; the report is what matters here.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    return Agent.load(str(model))


def parse_texts(agent: Agent, texts: Sequence[str]) -> list[tuple[Parse, float]]:
    """Each text parsed by ``agent`` on its own, with the parse time in ms."""
    loop = asyncio.new_event_loop()
    parsed = []
    try:
        for text in texts:
            started = time.perf_counter()
            result = loop.run_until_complete(agent.parse_message(text))
            parsed.append((result, 1000 * (time.perf_counter() - started)))
    finally:
        loop.close()
    return parsed
