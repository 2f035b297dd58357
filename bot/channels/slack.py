"""Slack channel: Rasa's ``SlackInput`` with a settable Web API URL, no double answers, and links.

Changes to Rasa's channel, and why:

- The Web API URL comes from ``SLACK_API_URL`` (default Slack's own), because Rasa's
  ``SlackBot`` builds its ``AsyncWebClient`` with the fixed default URL, so tests
  could not capture replies on a local stand-in.
- A message is answered once. Slack re-sends an event when it thinks delivery failed
  (``X-Slack-Retry-Num``); Rasa drops only retries whose reason is ``http_timeout``.
  Slack also sends both an ``app_mention`` and a ``message`` event for a mention in a
  channel the bot reads. Both carry the message's channel and ``ts``, so that pair
  (or the ``event_id``) keys a short-lived memory of what was already answered.
- Replies are Block Kit sections in Slack's mrkdwn: Markdown links
  ``[Title](https://...)`` (the sources line) become Slack links, ``&``, ``<`` and
  ``>`` are escaped, and long texts are split under Slack's 3,000-character section
  limit. Rasa puts text with buttons in a ``plain_text`` section, where sources are
  not links.
- A message over 5,000 characters is not read (as on the other channels,
  :mod:`bot.channels.inbound`): the person is asked for a shorter question, with the
  crisis line, instead of the server spending seconds on it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot
from rasa.core.channels.slack import SlackInput as RasaSlackInput
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.inbound import BadInput, check_text, refusal
from bot.core.answers import MARKDOWN_LINK
from bot.core.clinic import requested_region
from bot.core.content import default_library

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
SECTION_LIMIT = 3000  # characters of text in one Block Kit section
FALLBACK_LIMIT = 3000  # characters of the notification text we send


def api_url() -> str:
    """The Slack Web API base URL: ``SLACK_API_URL`` or Slack's own."""
    url = os.environ.get("SLACK_API_URL") or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _links(line: str) -> str:
    """A line escaped for mrkdwn, its Markdown links ``[title](url)`` as Slack links."""
    out, end = [], 0
    for link in MARKDOWN_LINK.finditer(line):
        out += [escape(line[end : link.start()]), f"<{link['url']}|{escape(link['title'])}>"]
        end = link.end()
    return "".join(out) + escape(line[end:])


def to_mrkdwn(text: str) -> str:
    """Bot text as Slack mrkdwn: Markdown links as links, "- " lists as bullets."""
    lines = []
    for line in text.strip().splitlines():
        lines.append("• " + _links(line[2:]) if line.startswith("- ") else _links(line))
    return "\n".join(lines)


def split_sections(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split text at paragraph (else line) breaks into parts of at most ``limit`` characters."""
    pieces = (piece for paragraph in text.split("\n\n") for piece in _pieces(paragraph, limit))
    return _pack(pieces, "\n\n", limit)


def _pieces(paragraph: str, limit: int) -> list[str]:
    if len(paragraph) <= limit:
        return [paragraph]
    # An overlong line is cut hard into chunks of ``limit`` characters.
    lines = (
        line[start : start + limit]
        for line in paragraph.split("\n")
        for start in range(0, max(len(line), 1), limit)
    )
    return _pack(lines, "\n", limit)


def _pack(pieces: Iterable[str], separator: str, limit: int) -> list[str]:
    """Join consecutive pieces with ``separator`` into parts of at most ``limit`` characters."""
    parts: list[str] = []
    current = ""
    for piece in pieces:
        joined = f"{current}{separator}{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
        else:
            parts.append(current)
            current = piece
    return parts + ([current] if current else [])


def message_blocks(text: str, buttons: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Block Kit blocks for a bot message: mrkdwn sections, then its buttons."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": part}}
        for part in split_sections(to_mrkdwn(text))
    ]
    if buttons:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": str(b["title"])[:75]},
                        "value": str(b["payload"]),
                    }
                    for b in buttons[:25]  # Slack's limit for one actions block
                ],
            }
        )
    return blocks


class RecentKeys:
    """Remembers keys for a while (Slack retries within minutes), holding at most ``size``."""

    def __init__(self, size: int = 2000, ttl_seconds: float = 600.0) -> None:
        """Keep up to ``size`` keys, each for ``ttl_seconds``."""
        self.size = size
        self.ttl = ttl_seconds
        self._seen: OrderedDict[str, float] = OrderedDict()

    def seen_before(self, key: str) -> bool:
        """Record ``key``; say whether it was recorded (and not expired) already."""
        now = time.monotonic()
        while self._seen and next(iter(self._seen.values())) < now - self.ttl:
            self._seen.popitem(last=False)
        if key in self._seen:
            return True
        self._seen[key] = now
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return False


def delivery_key(body: dict[str, Any]) -> str | None:
    """What identifies one user message (or button click) across Slack's deliveries."""
    event = body.get("event")
    if isinstance(event, dict):
        if event.get("channel") and event.get("ts"):
            return f"message:{event['channel']}:{event['ts']}"
        if body.get("event_id"):
            return f"event:{body['event_id']}"
        return None
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        user = (body.get("user") or {}).get("id", "")
        return f"action:{user}:{actions[0].get('action_ts', '')}:{body.get('trigger_id', '')}"
    return None


def request_body(request: Request) -> dict[str, Any]:
    """The JSON event, or the JSON ``payload`` of a form-encoded interaction."""
    try:
        if request.headers.get("content-type") == "application/x-www-form-urlencoded":
            payload = request.form.get("payload")
            return json.loads(payload) if payload else {}
        body = request.json
        return body if isinstance(body, dict) else {}
    except (ValueError, TypeError):
        return {}


class SlackOutput(SlackBot):
    """Rasa's ``SlackBot`` posting to ``api_url()``, in mrkdwn blocks."""

    def __init__(
        self,
        token: str,
        slack_channel: str | None = None,
        thread_id: str | None = None,
        proxy: str | None = None,
    ) -> None:
        """Make the client for ``token`` on the configured Web API URL."""
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token, base_url=api_url(), proxy=proxy)

    async def _post_blocks(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]] | None
    ) -> None:
        # No `as_user` (Rasa sends it): apps with bot tokens post as their bot user.
        await self._post_message(
            channel=self.slack_channel or recipient_id,
            text=text[:FALLBACK_LIMIT],
            blocks=message_blocks(text, buttons),
        )

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Post the text as one message."""
        await self._post_blocks(recipient_id, text, None)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Post the text with its buttons as one message."""
        await self._post_blocks(recipient_id, text, buttons)


class SlackInput(RasaSlackInput):
    """Rasa's Slack input with :class:`SlackOutput` replies and duplicate deliveries dropped."""

    @classmethod
    def name(cls) -> str:
        """Same name as Rasa's channel, so the webhook stays /webhooks/slack/webhook."""
        return "slack"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Take Rasa's ``SlackInput`` arguments; start with nothing answered."""
        super().__init__(*args, **kwargs)
        # In memory, so per process: several Rasa instances behind one URL need a
        # shared store (e.g. Redis) to drop repeats that reach another instance.
        self._recent = RecentKeys()

    async def process_message(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender_id: str | None,
        metadata: dict[str, Any] | None,
    ) -> HTTPResponse:
        """Hand a signed, first-seen message to Rasa; acknowledge repeats without answering.

        A message too long to read gets a "shorter, please" reply instead.
        """
        key = delivery_key(request_body(request))
        if key is not None and self._recent.seen_before(key):
            logger.info("Slack delivered a message again (retry or mention); not answering twice.")
            return response.text("", status=HTTPStatus.OK, headers={"X-Slack-No-Retry": "1"})
        try:
            check_text(text)
        except BadInput as bad:
            logger.info("Slack message not read: %s", bad.problem)
            out = self.get_output_channel((metadata or {}).get("out_channel"))
            reply = refusal(bad, requested_region(metadata), default_library())
            await out.send_text_message(sender_id or "", reply)
            return response.text("", status=HTTPStatus.OK)
        result: HTTPResponse = await super().process_message(
            request, on_new_message, text, sender_id, metadata
        )
        return result

    def get_output_channel(
        self, channel: str | None = None, thread_id: str | None = None
    ) -> OutputChannel:
        """The Slack output for replies, on the configured Web API URL."""
        return SlackOutput(self.slack_token, channel or self.slack_channel, thread_id, self.proxy)
