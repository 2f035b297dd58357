"""Socket.io channel for the web chat widget (rasa-webchat).

Rasa's own ``SocketIOInput`` with these changes:

- ``session_request`` awaits ``enter_room``. In python-socketio 5.x it is a coroutine
  that Rasa 3.6 calls without ``await`` (RasaHQ/rasa#13027), so with
  ``session_persistence: true`` the socket never joins its session's room and the
  widget never receives a reply.
- Only the web page's origins may connect. Rasa turns python-engineio's origin check
  off (``cors_allowed_origins=[]``), which lets any web site open a WebSocket to the
  server. The allowed origins come from ``WEB_ORIGINS`` (comma-separated) or the
  ``cors_allowed_origins`` credential; with neither, only same-origin pages connect.
- Each bot message is sent whole, as one chat bubble, so an answer stays together
  with its sources and buttons. A crisis response (``utter_crisis`` and the cards
  for each kind of danger, ``utter_crisis_*``) is marked with the widget's
  ``customCss`` metadata (class ``kb-crisis``) so the page can show it as a card.
- Each message is checked first (:mod:`bot.channels.inbound`). One that is not an
  object, or whose text is not a string, is too long or holds a lone surrogate,
  or whose session id or metadata is malformed, is not passed to Rasa (where it
  raised and the person got no reply); the socket gets a short reply saying so,
  with the crisis lines. A malformed session id in ``session_request`` is replaced
  by a new one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.channels.inbound import (
    BadInput,
    check_metadata,
    check_sender,
    check_text,
    refusal,
)
from bot.core.clinic import requested_region
from bot.core.content import default_library
from bot.core.crisis.assessment import CARD_RESPONSE

logger = logging.getLogger(__name__)
CRISIS_CLASS = "kb-crisis"


def allowed_origins(env_value: str | None, configured: Any) -> list[str] | None:
    """The origins allowed to connect; ``None`` means same-origin only."""
    if env_value:
        origins = [o.strip().rstrip("/") for o in env_value.split(",") if o.strip()]
        return origins or None
    if isinstance(configured, str):
        return [configured.rstrip("/")]
    if isinstance(configured, list) and configured:
        return [str(o).rstrip("/") for o in configured]
    return None


class WebChatOutput(SocketIOOutput):
    """Sends each bot message as one bubble and marks crisis responses."""

    def _message(self, text: str, **kwargs: Any) -> dict[str, Any]:
        message: dict[str, Any] = {"text": text.strip()}
        if str(kwargs.get("utter_action") or "").startswith(CARD_RESPONSE):
            message["metadata"] = {"customCss": {"style": "class", "css": CRISIS_CLASS}}
        return message

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send the text as one message."""
        await self._send_message(recipient_id, self._message(text, **kwargs))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Send the text as one message with the buttons as the widget's quick replies."""
        message = self._message(text, **kwargs)
        message["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons
        ]
        await self._send_message(recipient_id, message)


class WebChatInput(SocketIOInput):
    """Rasa's socket.io input, fixed for python-socketio 5 and limited to known origins."""

    #: Origins allowed to connect (set by ``from_credentials``); ``None`` is same-origin only.
    origins: list[str] | None = None

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebChatInput:
        """Read the same settings as Rasa's ``socketio`` channel, plus allowed origins."""
        credentials = credentials or {}
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", False),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
        )
        channel.origins = allowed_origins(
            os.environ.get("WEB_ORIGINS"), credentials.get("cors_allowed_origins")
        )
        return channel

    def get_output_channel(self) -> OutputChannel | None:
        """The output channel for messages sent outside a conversation turn."""
        if self.sio is None:
            return super().get_output_channel()
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint with the origin check on and two event handlers replaced."""
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None, "SocketIOInput.blueprint sets self.sio"
        # Read by python-engineio on every handshake: None is same-origin only.
        sio.eio.cors_allowed_origins = self.origins

        async def session_request(sid: str, data: Any = None, *extra: Any) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            try:
                session_id = check_sender(session_id, "session_id")
            except BadInput:  # none yet (a new visitor), or not one we can use
                session_id = os.urandom(16).hex()
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        async def handle_message(sid: str, data: Any = None, *extra: Any) -> None:
            fields = data if isinstance(data, dict) else {}
            try:
                if not isinstance(data, dict) or extra:
                    raise BadInput("a message must be one object")
                text = check_text(data.get("message"))
                metadata = check_metadata(data.get(self.metadata_key), self.metadata_key)
                if self.session_persistence:
                    sender_id = check_sender(data.get("session_id"), "session_id")
                else:
                    sender_id = sid
            except BadInput as bad:
                region = requested_region(fields.get(self.metadata_key))
                reply = refusal(bad, region, default_library())
                logger.info("socket.io message not read: %s", bad.problem)
                await sio.emit(
                    self.bot_message_evt, {"text": reply}, room=sid, namespace=self.namespace
                )
                return
            await on_new_message(
                UserMessage(
                    text,
                    WebChatOutput(sio, self.bot_message_evt),
                    sender_id,
                    input_channel=self.name(),
                    metadata=metadata or {},
                )
            )

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return blueprint
