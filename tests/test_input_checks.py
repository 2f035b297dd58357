"""The checks the REST and socket.io channels make before a message reaches Rasa.

Without a running server; tests/test_bad_input.py sends the same kinds of input to
the real one.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.utils.io import read_config_file

from bot.channels.inbound import (
    MAX_SENDER_CHARS,
    MAX_TEXT_CHARS,
    TOO_LONG,
    UNREADABLE,
    BadInput,
    check_metadata,
    check_sender,
    check_text,
    refusal,
)
from bot.channels.rest import CheckedRestInput, read_body
from bot.channels.socketio import WebChatInput
from bot.core.clinic import requested_region
from bot.core.content import Library
from tests.fakes import FakeSio
from tools.stack import ROOT


def test_a_text_up_to_the_limit_is_taken_as_it_is() -> None:
    for text in ("", "  ", "what\x00is\u200bketamine", "x" * MAX_TEXT_CHARS, "مرحبا 😀"):
        assert check_text(text) == text


@pytest.mark.parametrize("value", [None, 42, 4.2, True, ["hi"], {"text": "hi"}, b"hi"])
def test_a_message_that_is_not_a_string_is_unreadable(value: Any) -> None:
    with pytest.raises(BadInput) as bad:
        check_text(value)
    assert (bad.value.status, bad.value.message_key) == (400, UNREADABLE)


def test_a_text_over_the_limit_is_too_long() -> None:
    with pytest.raises(BadInput) as bad:
        check_text("x" * (MAX_TEXT_CHARS + 1))
    assert (bad.value.status, bad.value.message_key) == (413, TOO_LONG)


def test_a_lone_surrogate_is_not_text() -> None:
    with pytest.raises(BadInput, match="surrogate"):
        check_text("what is \ud800 ketamine")


@pytest.mark.parametrize("sender", ["a", "../ü/患者/🙂", "x'); DROP TABLE events; --", "s" * 255])
def test_a_sender_of_printable_characters_is_taken(sender: str) -> None:
    assert check_sender(sender) == sender


@pytest.mark.parametrize(
    "sender", [None, 5, ["a"], "", "   ", "s" * (MAX_SENDER_CHARS + 1), "a\nb", "a\x00b", "\ud800"]
)
def test_a_sender_that_is_missing_long_or_has_control_characters_is_refused(sender: Any) -> None:
    with pytest.raises(BadInput):
        check_sender(sender)


def test_metadata_is_an_object_or_a_json_object_in_a_string() -> None:
    assert check_metadata(None) is None
    assert check_metadata({"region": "uk"}) == {"region": "uk"}
    assert check_metadata('{"region": "uk"}') == {"region": "uk"}
    for bad in ("{not json", "[1]", [1], 3, "null"):
        with pytest.raises(BadInput):
            check_metadata(bad)


@pytest.mark.parametrize(
    "raw", [b"", b"{", b"[1]", b'"hi"', b"42", b"null", b"caf\xe9", b"sender=a&message=b"]
)
def test_a_body_that_is_not_a_utf8_json_object_is_refused(raw: bytes) -> None:
    with pytest.raises(BadInput):
        read_body(raw)


def test_a_json_object_body_is_read() -> None:
    assert read_body('{"sender": "a", "message": "¿qué?"}'.encode()) == {
        "sender": "a",
        "message": "¿qué?",
    }


def test_the_refusal_is_in_the_words_of_the_region(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    too_long = BadInput("x", 413, TOO_LONG)
    assert "988" in refusal(too_long, "us", library)
    assert "116 123" in refusal(too_long, "UK", library)
    assert refusal(too_long, "mars", library) == refusal(too_long, None, library)
    monkeypatch.setenv("ASSISTANT_REGION", "ca")
    assert requested_region({"region": "uk"}) == "uk"
    assert requested_region("not a mapping") == requested_region({}) == "ca"


def test_a_region_the_assistant_does_not_know_gets_the_deployments_lines(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_REGION", "uk")
    assert requested_region({"region": "GB"}) == "uk"
    assert requested_region({"region": "UK"}) == "uk"
    assert "116 123" in refusal(
        BadInput("x", 413, TOO_LONG), requested_region({"region": "GB"}), library
    )


def test_the_rest_channel_keeps_rasas_url_and_is_the_one_registered() -> None:
    assert CheckedRestInput.name() == "rest"
    channels = read_config_file(ROOT / "credentials.yml")
    assert "bot.channels.rest.CheckedRestInput" in channels and "rest" not in channels


@pytest.fixture
def socket_channel() -> tuple[dict[str, Any], FakeSio, list[Any]]:
    """The socket.io channel's handlers, its stand-in server and the messages passed on."""
    channel = WebChatInput.from_credentials(
        {"session_persistence": True, "metadata_key": "customData"}
    )
    received: list[Any] = []

    async def on_new_message(message: Any) -> None:
        received.append(message)

    channel.blueprint(on_new_message)
    assert channel.sio is not None
    fake = FakeSio()
    channel.sio.enter_room = fake.enter_room  # type: ignore[method-assign]
    channel.sio.emit = fake.emit  # type: ignore[method-assign]
    return channel.sio.handlers["/"], fake, received


@pytest.mark.parametrize("data", [None, "abc", ["abc"], {"session_id": ["a"]}, {"session_id": ""}])
async def test_a_bad_session_request_gets_a_new_session(socket_channel, data: Any) -> None:
    handlers, fake, _ = socket_channel
    await handlers["session_request"]("sid1", data)
    (event, session_id, _), *_ = fake.emitted
    assert event == "session_confirm" and len(session_id) == 32
    assert fake.rooms == [("sid1", session_id)]


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ((), UNREADABLE),
        (("hi",), UNREADABLE),
        (({"message": 3, "session_id": "s"},), UNREADABLE),
        (({"message": "hi"},), UNREADABLE),
        (({"message": "hi", "session_id": "s", "customData": "{x"},), UNREADABLE),
        (({"message": "hi", "session_id": "s"}, "extra"), UNREADABLE),
        (({"message": "x" * (MAX_TEXT_CHARS + 1), "session_id": "s"},), TOO_LONG),
    ],
)
async def test_a_bad_message_is_answered_on_its_socket_and_not_passed_on(
    socket_channel, library: Library, args: tuple[Any, ...], key: str
) -> None:
    handlers, fake, received = socket_channel
    await handlers["user_uttered"]("sid1", *args)
    assert received == []
    assert fake.emitted == [
        (
            "bot_uttered",
            {"text": library.messages[key]["us"].strip()},
            {"room": "sid1", "namespace": None},
        )
    ]


async def test_a_good_message_is_passed_on_with_its_metadata(socket_channel) -> None:
    handlers, fake, received = socket_channel
    await handlers["user_uttered"](
        "sid1", {"message": "hi", "session_id": "s1", "customData": '{"region": "uk"}'}
    )
    assert fake.emitted == []
    (message,) = received
    assert (message.text, message.sender_id, message.metadata) == ("hi", "s1", {"region": "uk"})
