"""The crisis and emergency lines of each region, written once, and the texts that name them.

``content/crisis_lines.yml`` is the one place a line's number is written. A patient
text names a line as ``{{crisis}}``, ``{{emergency}}``, ...; :func:`fill` puts in the
line of the region the text is written for. The content loader fills the messages,
topics and answer units (:mod:`bot.core.content`); the Rasa responses that name a line
are filled into ``domain.yml`` ahead of time (``tools/crisis_responses.py``), so that
Rasa sends them, crisis cards first, without the action server or this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.core.clinic import REGIONS
from bot.core.yaml_files import read_yaml

LINES_FILE = Path(__file__).resolve().parents[2] / "content" / "crisis_lines.yml"
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class LinesError(ValueError):
    """A crisis lines file that breaks its schema, or a text that names an unknown line."""


@dataclass(frozen=True)
class RegionLines:
    """One region's lines by name (``crisis``: "988"), and the services only it may name."""

    lines: Mapping[str, str]
    names: tuple[str, ...] = ()
    call: tuple[str, ...] = ()
    """The lines a page offers as call buttons, in order."""
    text: tuple[str, ...] = ()
    """The lines a page also offers as text-message buttons."""


def read_lines(data: object, where: str = LINES_FILE.name) -> dict[str, RegionLines]:
    """Every region's lines from the parsed file, checked: each region, text values only."""
    if not isinstance(data, Mapping) or set(data) != set(REGIONS):
        raise LinesError(f"{where}: expected one entry for each of {', '.join(REGIONS)}")
    found = {}
    for region in REGIONS:
        entry = data[region]
        lines = entry.get("lines") if isinstance(entry, Mapping) else None
        if not isinstance(lines, Mapping) or not all(
            isinstance(v, str) and v.strip() for v in lines.values()
        ):
            raise LinesError(f"{where}: {region}: expected lines: a mapping of name to text")
        names = tuple(str(n) for n in entry.get("names") or ())
        buttons = {key: tuple(str(n) for n in entry.get(key) or ()) for key in ("call", "text")}
        unknown = sorted({n for named in buttons.values() for n in named} - set(lines))
        if unknown:
            raise LinesError(f"{where}: {region}: call or text names unknown lines {unknown}")
        own = {str(k): v.strip() for k, v in lines.items()}
        found[region] = RegionLines(own, names, **buttons)
    return found


@lru_cache(maxsize=1)
def default_lines() -> dict[str, RegionLines]:
    """The project's lines (``content/crisis_lines.yml``), read once per process."""
    return read_lines(read_yaml(LINES_FILE))


def fill(text: str, region: str | None, lines: Mapping[str, RegionLines] | None = None) -> str:
    """``text`` with each ``{{name}}`` replaced by that line of ``region``.

    A text with no region (one for every reader) may name no line: a number differs
    from region to region.
    """
    if PLACEHOLDER.search(text) is None:
        return text
    if region is None:
        raise LinesError("names a crisis line, but is not written for one region")
    own = (lines or default_lines())[region].lines

    def line(match: re.Match[str]) -> str:
        if match[1] not in own:
            raise LinesError(f"no line {{{{{match[1]}}}}} for region {region}: {sorted(own)}")
        return own[match[1]]

    return PLACEHOLDER.sub(line, text)
