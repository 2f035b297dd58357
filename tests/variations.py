"""Pick the variation of a Rasa response that Rasa's NLG would send for given slots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def choose_variation(
    variations: Sequence[Mapping[str, Any]], slots: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The first variation whose slot conditions all hold, else the first unconditional one."""
    default = None
    for variation in variations:
        conditions = variation.get("condition") or []
        if not conditions:
            default = default or variation
        elif all(
            c.get("type") == "slot" and slots.get(c.get("name")) == c.get("value")
            for c in conditions
        ):
            return variation
    return default
