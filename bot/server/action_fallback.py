"""A safe reply from the Rasa server itself when the action server is down or hangs.

Rasa 3.6 waits up to 5 minutes for the action server and, when a call fails,
logs the error and sends nothing: the user is left without a reply. Here each
custom action call gets a time limit (``ACTION_TIMEOUT`` seconds, default 5),
and a failed or late call is replaced by:

- ``action_session_start``: Rasa's own session start plus the disclaimer, so the
  conversation still begins and its first message is still answered;
- any other action: ``action_unavailable`` from ``messages.yml`` ("I can't look
  that up right now; ask your care team"), with the crisis lines of the user's region.

Crisis replies are Rasa responses and never call the action server at all.
:func:`install` patches ``RemoteAction.run`` of the pinned Rasa 3.6.21; the
launcher ``bot/server/rasa_cli.py`` calls it before Rasa starts.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from rasa.core.actions.action import ActionExecutionRejection, ActionSessionStart, RemoteAction
from rasa.shared.core.events import BotUttered, Event, SlotSet

from bot.core.content import default_library

if TYPE_CHECKING:
    from rasa.core.channels.channel import OutputChannel
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
_ORIGINAL_RUN = RemoteAction.run


def action_timeout(env: dict[str, str] | None = None) -> float:
    """Seconds to wait for the action server (``ACTION_TIMEOUT``, default 5)."""
    raw = (env if env is not None else os.environ).get("ACTION_TIMEOUT", "")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        raise ValueError(f"ACTION_TIMEOUT must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ValueError("ACTION_TIMEOUT must be more than 0 seconds")
    return value


async def fallback_events(
    action_name: str,
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> list[Event]:
    """The events that stand in for a custom action that could not run."""
    library = default_library()
    if action_name == ActionSessionStart().name():
        metadata = tracker.get_slot("session_started_metadata")
        region, text = library.session_disclaimer(metadata)
        started = await ActionSessionStart().run(output_channel, nlg, tracker, domain)
        # Rasa's session start ends with action_listen; the disclaimer and region go before it.
        return [*started[:-1], SlotSet("region", region), BotUttered(text), started[-1]]
    _, text = library.regional_message("action_unavailable", tracker.get_slot("region"))
    return [BotUttered(text)]


def install(timeout: float) -> None:
    """Give every custom action call ``timeout`` seconds, then fall back to a safe reply."""

    async def run_or_fall_back(
        self: RemoteAction,
        output_channel: OutputChannel,
        nlg: NaturalLanguageGenerator,
        tracker: DialogueStateTracker,
        domain: Domain,
    ) -> list[Event]:
        try:
            return await asyncio.wait_for(
                _ORIGINAL_RUN(self, output_channel, nlg, tracker, domain), timeout
            )
        except ActionExecutionRejection:
            raise  # a form rejecting its input is not a failure
        except asyncio.TimeoutError:
            reason = f"no answer in {timeout:g} s"
        except Exception as error:  # any failure gets the same safe reply
            reason = f"{type(error).__name__}: {error}"
        logger.error(
            "Action server failed on %s (%s); sent the safe fallback reply instead.",
            self.name(),
            reason,
        )
        return await fallback_events(self.name(), output_channel, nlg, tracker, domain)

    RemoteAction.run = run_or_fall_back


def uninstall() -> None:
    """Undo :func:`install` (for tests)."""
    RemoteAction.run = _ORIGINAL_RUN
