"""REST channel: Rasa's, with the request checked before it reaches the assistant.

Same URL (``POST /webhooks/rest/webhook``: ``name()`` stays ``rest``), same body
(``{"sender": ..., "message": ..., "metadata": {...}}``) and same replies as
Rasa's ``RestInput``. The changes, each found by ``tests/test_bad_input.py``:

- A body that is not a UTF-8 JSON object (empty, a list, a string, a number,
  ``null``) gets a 400. Rasa's channel answered 500 (it calls ``.get`` on it).
- ``sender`` is required: a string of 1 to 255 characters without control
  characters. Rasa put every request without one into one shared conversation
  named ``default``, so strangers read each other's context; and a longer id does
  not fit the SQL tracker store's column.
- ``message`` must be a string of at most 5,000 characters (413 beyond), without
  lone surrogates. Rasa's channel answered 200 with an empty list for a missing or
  non-string message, after logging a traceback with the message text in it.
- ``metadata`` must be an object and ``input_channel`` a string, when given.
- A reply that names sources also carries them as data, ``custom: {"sources":
  [{"title", "url"}]}``, beside the text.
- Every error is a short JSON body, ``{"error": "..."}``. When the assistant
  itself fails, the answer is a 500 (Rasa's says 200 with whatever was collected),
  and the log names the failure without the message text (health information).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.channels.inbound import BadInput, check_metadata, check_sender, check_text
from bot.core.answers import sources_in
from bot.core.content import default_library

logger = logging.getLogger(__name__)


def error(problem: str, status: int = 400) -> HTTPResponse:
    """A short JSON error response."""
    return response.json({"error": problem}, status=status)


def read_body(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or :class:`BadInput` saying why it is not one."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInput("the body is not UTF-8") from None
    except ValueError:
        raise BadInput("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadInput('the body must be a JSON object: {"sender": "...", "message": "..."}')
    return body


class SourcedCollector(CollectingOutputChannel):
    """Rasa's collector that also gives an answer's sources as data: ``custom.sources``."""

    async def _persist_message(self, message: dict[str, Any]) -> None:
        heading = default_library().message("sources_heading")
        sources = sources_in(message.get("text") or "", heading)
        if sources and not message.get("custom"):
            message["custom"] = {"sources": sources}
        await super()._persist_message(message)


class CheckedRestInput(RestInput):
    """Rasa's REST input with every request checked first (see the module docstring)."""

    @classmethod
    def name(cls) -> str:
        """``rest``, as Rasa's: the URL stays ``/webhooks/rest/webhook``."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """The health and webhook routes of Rasa's channel, the webhook checked."""
        webhook = Blueprint("checked_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> ResponseStream | HTTPResponse:
            try:
                body = read_body(request.body)
                sender = check_sender(body.get("sender"))
                text = check_text(body.get("message"))
                metadata = check_metadata(body.get("metadata"))
                channel = body.get("input_channel") or self.name()
                if not isinstance(channel, str):
                    raise BadInput("'input_channel' must be a string")
            except BadInput as bad:
                return error(bad.problem, bad.status)

            if bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(on_new_message, text, sender, channel, metadata),
                    content_type="text/event-stream",
                )
            collector = SourcedCollector()
            message = UserMessage(text, collector, sender, input_channel=channel, metadata=metadata)
            try:
                await on_new_message(message)
            except Exception:
                # The traceback, but not the text: it may be health information.
                logger.exception("The assistant failed to answer a REST message")
                return error("the assistant failed to answer; see the server log", 500)
            return response.json(collector.messages)

        return webhook
