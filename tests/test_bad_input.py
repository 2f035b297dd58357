"""Bad input over REST and socket.io: every kind gets a sensible reply or a clean 4xx.

Starts the real Rasa server (trained model, the project's credentials.yml: the REST
channel and the socket.io channel ``bot.channels.socketio.WebChatInput``) and the
action server on free ports, then sends each kind of bad input to both channels:

- a text a person could type (empty, 100 KB, control characters, right-to-left
  scripts, injection strings, ...) must be answered with bot messages whose text
  shows no traceback, exception or Python repr, and never repeats the input;
  only a text over the length limit or one that is not text at all (a lone
  surrogate) is refused: 413 or 400 over REST, a short reply over socket.io;
- a malformed request (not JSON, not an object, no sender, a message that is not
  a string, ...) gets a 400 with a short JSON error over REST, and a short "could
  not read that" reply over socket.io.

Afterwards the server must still be up and answering, and its log must hold no
traceback.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

import pytest

from bot.channels.inbound import MAX_SENDER_CHARS, MAX_TEXT_CHARS
from bot.core.content import Library
from tests.servers import REPLY_TIMEOUT, SocketChat
from tools.stack import MODEL, started

pytestmark = pytest.mark.model

ORIGIN = "http://bad-input.test"  # the page origin the socket.io channel lets in (WEB_ORIGINS)
# What must never reach a person: server internals instead of an answer.
LEAK = re.compile(r"Traceback|Exception|Error:|object at 0x|<class '|\{'\w+': |\['|\bb'\\x")


@dataclass(frozen=True)
class Server:
    """The running servers and their log."""

    url: str
    process: Popen[bytes]
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    assert MODEL.exists(), "train first: make train"
    with started(tmp_path_factory.mktemp("bad-input"), {"WEB_ORIGINS": ORIGIN}) as stack:
        yield Server(stack.url, stack.process, stack.rasa_log)


# --- talking to the channels -------------------------------------------------------------


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: Any  # parsed JSON, or the raw text when it is not JSON


def post(server: Server, body: bytes, content_type: str = "application/json") -> HttpReply:
    """POST ``body`` to the REST webhook as it is, and read the reply."""
    request = urllib.request.Request(
        f"{server.url}/webhooks/rest/webhook",
        data=body,
        method="POST",
        headers={"Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=REPLY_TIMEOUT) as reply:
            status, raw = reply.status, reply.read()
    except urllib.error.HTTPError as error:
        with error:
            status, raw = error.code, error.read()
    text = raw.decode("utf-8", errors="replace")
    try:
        return HttpReply(status, json.loads(text))
    except ValueError:
        return HttpReply(status, text)


def post_json(server: Server, payload: Any) -> HttpReply:
    return post(server, json.dumps(payload).encode())


def new_sender() -> str:
    return f"bad-input-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def chat(server: Server, library: Library) -> Iterator[SocketChat]:
    visitor = SocketChat(server.url, ORIGIN, library.messages["disclaimer"]["us"])
    yield visitor
    visitor.close()


def ask_socket(chat: SocketChat, text: Any) -> list[Any]:
    session = chat.start_session()
    return chat.send({"message": text, "session_id": session, "customData": {}})


# --- what a good outcome looks like ------------------------------------------------------


def assert_sensible(texts: list[str], sent: str | None = None) -> None:
    """Non-empty bot texts, none leaking internals, none repeating what was sent."""
    assert texts, "no reply"
    for text in texts:
        assert text.strip(), f"an empty bot message in {texts}"
        assert not LEAK.search(text), f"internals in a reply: {text!r}"
        if sent and len(sent.strip()) >= 4:
            assert sent.strip() not in text, f"the input came back: {text!r}"


def rest_texts(reply: HttpReply, sender: str) -> list[str]:
    """The texts of a 200 REST reply, checked to be bot messages for ``sender``."""
    assert reply.status == 200, reply
    assert isinstance(reply.body, list) and reply.body, f"no bot message: {reply.body!r}"
    for message in reply.body:
        assert isinstance(message, dict) and message.get("recipient_id") == sender, message
    return [str(m.get("text", "")) for m in reply.body]


def assert_clean_error(reply: HttpReply, status: int = 400) -> None:
    """A 4xx with a short JSON error naming the problem."""
    assert reply.status == status, reply
    assert isinstance(reply.body, dict) and set(reply.body) == {"error"}, reply.body
    problem = reply.body["error"]
    assert isinstance(problem, str) and 0 < len(problem) <= 200
    assert not LEAK.search(problem), problem


def socket_texts(replies: list[Any]) -> list[str]:
    for message in replies:
        assert isinstance(message, dict) and isinstance(message.get("text"), str), message
    return [m["text"] for m in replies]


def refusal_texts(library: Library) -> set[str]:
    return {
        str(text).strip()
        for key in ("message_too_long", "message_unreadable")
        for text in library.messages[key].values()
    }


def assert_still_running(server: Server) -> None:
    assert server.process.poll() is None, f"the servers stopped: see {server.log}"


# --- the kinds of bad input --------------------------------------------------------------

ANSWER = 200
TOO_LONG = 413
NOT_TEXT = 400


@dataclass(frozen=True)
class Text:
    """A text a person (or a script) could type, and what the REST channel answers."""

    text: str
    expect: int = ANSWER


def padded(text: str, length: int) -> str:
    return (text * (length // len(text) + 1))[:length]


TEXTS: dict[str, Text] = {
    "empty text": Text(""),
    "whitespace only": Text(" \t\n \u3000 "),
    "only punctuation": Text("?!?!...,,;;"),
    "100 KB of text": Text(padded("what is ketamine and how does it work? ", 100_000), TOO_LONG),
    "one character over the length limit": Text("x" * (MAX_TEXT_CHARS + 1), TOO_LONG),
    "exactly the length limit": Text(padded("does ketamine cause nausea? ", MAX_TEXT_CHARS)),
    "a very long single word": Text("ketamine" * 600),
    "control characters": Text("what is \x07\x1b[31mketamine\x1b[0m\x08\x7f\x85?"),
    "NUL bytes": Text("what\x00is\x00ketamine\x00"),
    "a lone UTF-16 surrogate (not text)": Text("what is \ud800 ketamine", NOT_TEXT),
    "newlines, tabs and carriage returns": Text("what\n\n\nis\t\tketamine\r\n"),
    "zero-width characters": Text("what\u200bis\u200cket\u200damine\ufeff\u2060?"),
    "bidirectional override characters": Text("\u202eenimatek si tahw\u202c"),
    "combining marks piled up": Text(
        "k\u0337\u0321\u031be\u0336t\u0338a\u0335m\u0337i\u0336n\u0338e"
    ),
    "emoji only": Text("😀🙏💊🧠"),
    "right-to-left script: Arabic": Text("ما هو الكيتامين؟"),
    "right-to-left script: Hebrew": Text("מה זה קטמין?"),
    "a message in Spanish": Text("¿Qué es la ketamina y cómo funciona?"),
    "SQL injection": Text("'; DROP TABLE events; --"),
    "SQL injection: always true": Text("1' OR '1'='1' /*"),
    "template injection: {{7*7}}": Text("{{7*7}}"),
    "template injection: ${jndi:...}": Text("${jndi:ldap://127.0.0.1:1/a}"),
    "template injection: {% ... %}": Text("{% for x in range(10**9) %}{{ x }}{% endfor %}"),
    "Python format string": Text("{0.__class__.__mro__} %s%s%s%n"),
    "HTML script tag": Text("<script>alert(document.cookie)</script>"),
    "HTML image with onerror": Text('<img src=x onerror="alert(1)">'),
    "Markdown link and image": Text(
        "[click me](javascript:alert(1)) ![x](http://127.0.0.1:1/x.png)"
    ),
    "slash command for an unknown intent": Text("/no_such_intent"),
    "slash command with broken entity JSON": Text('/greet{"region": [1, 2'),
    "slash command with made-up entity values": Text(
        '/ask_side_effects{"side_effect": "<b>x</b>"}'
    ),
}


@pytest.mark.parametrize("kind", TEXTS.values(), ids=TEXTS.keys())
def test_over_rest_a_bad_text_is_answered_or_refused_cleanly(server: Server, kind: Text) -> None:
    sender = new_sender()
    reply = post_json(server, {"sender": sender, "message": kind.text})
    if kind.expect == ANSWER:
        assert_sensible(rest_texts(reply, sender), kind.text)
    else:
        assert_clean_error(reply, kind.expect)
    assert_still_running(server)


@pytest.mark.parametrize("kind", TEXTS.values(), ids=TEXTS.keys())
def test_over_socketio_a_bad_text_is_answered(
    server: Server, chat: SocketChat, kind: Text, library: Library
) -> None:
    texts = socket_texts(ask_socket(chat, kind.text))
    assert_sensible(texts, kind.text)
    refused = [t for t in texts if t in refusal_texts(library)]
    if kind.expect == TOO_LONG:
        assert texts == [library.messages["message_too_long"]["us"].strip()]
    elif kind.expect == NOT_TEXT:
        assert texts == [library.messages["message_unreadable"]["us"].strip()]
    else:
        assert not refused, f"a readable text was refused: {texts}"
    assert_still_running(server)


SENDER = "bad-input-sender"


def as_json(payload: Any) -> bytes:
    return json.dumps(payload).encode()


# Request bodies that are not what the REST channel takes: each gets a 400.
MALFORMED_REQUESTS: dict[str, bytes] = {
    "malformed JSON": b'{"sender": "x", "message": ',
    "invalid UTF-8 bytes in the body": b'{"sender": "x", "message": "caf\xe9 \xff\xfe"}',
    "an empty body": b"",
    "a form-encoded body": b"sender=x&message=what+is+ketamine",
    "a JSON list": b'["what is ketamine"]',
    "a JSON string": b'"what is ketamine"',
    "a JSON number": b"42",
    "JSON null": b"null",
    "no sender": as_json({"message": "what is ketamine"}),
    "no message": as_json({"sender": SENDER}),
    "message is null": as_json({"sender": SENDER, "message": None}),
    "message is a number": as_json({"sender": SENDER, "message": 42}),
    "message is a list": as_json({"sender": SENDER, "message": ["what is", "ketamine"]}),
    "message is an object": as_json({"sender": SENDER, "message": {"text": "hi"}}),
    "sender is a number": as_json({"sender": 12345, "message": "hi"}),
    "sender is empty": as_json({"sender": "", "message": "hi"}),
    "1000-character sender id": as_json({"sender": "s" * 1000, "message": "hi"}),
    "sender with a new line": as_json({"sender": "a\nFAKE LOG LINE", "message": "hi"}),
    "sender with a NUL byte": as_json({"sender": "a\x00b", "message": "hi"}),
    "metadata is a string": as_json({"sender": SENDER, "message": "hi", "metadata": "x"}),
    "metadata is a list": as_json({"sender": SENDER, "message": "hi", "metadata": [1]}),
    "input_channel is a number": as_json({"sender": SENDER, "message": "hi", "input_channel": 7}),
}


@pytest.mark.parametrize("body", MALFORMED_REQUESTS.values(), ids=MALFORMED_REQUESTS.keys())
def test_over_rest_a_malformed_request_gets_a_clean_400(server: Server, body: bytes) -> None:
    assert_clean_error(post(server, body))
    assert_still_running(server)


# Unusual but valid requests: each is answered.
ODD_SENDERS: dict[str, str] = {
    "sender with slashes and unicode": "../../etc/passwd/ü/患者/🙂",
    "sender of exactly 255 characters": "s" * MAX_SENDER_CHARS,
    "sender with quotes and SQL": "x'); DROP TABLE events; --",
}


@pytest.mark.parametrize("sender", ODD_SENDERS.values(), ids=ODD_SENDERS.keys())
def test_over_rest_an_odd_but_valid_sender_is_answered(server: Server, sender: str) -> None:
    reply = post_json(server, {"sender": sender, "message": "what is ketamine"})
    assert_sensible(rest_texts(reply, sender))


def test_over_rest_unknown_fields_and_a_plain_text_content_type_are_ignored(
    server: Server,
) -> None:
    sender = new_sender()
    body = {"sender": sender, "message": "what is ketamine", "extra": {"a": [1, None]}}
    reply = post(server, json.dumps(body).encode(), content_type="text/plain")
    assert_sensible(rest_texts(reply, sender))


# socket.io payloads the widget would never send: each gets the "could not read" reply.
MALFORMED_PAYLOADS: dict[str, Any] = {
    "payload is a string": "what is ketamine",
    "payload is a list": ["what is ketamine"],
    "payload is a number": 42,
    "payload is null": None,
    "payload is several arguments": ("what is ketamine", "S", {"x": 1}),
    "binary attachment instead of text": {"message": b"\xff\xfe\x00", "session_id": "S"},
    "no message": {"session_id": "S"},
    "message is a number": {"message": 42, "session_id": "S"},
    "message is a list": {"message": ["what is ketamine"], "session_id": "S"},
    "message is an object": {"message": {"text": "hi"}, "session_id": "S"},
    "no session_id": {"message": "what is ketamine"},
    "session_id is a list": {"message": "what is ketamine", "session_id": ["a"]},
    "1000-character session_id": {"message": "what is ketamine", "session_id": "s" * 1000},
    "metadata is broken JSON": {"message": "hi", "session_id": "S", "customData": "{not json"},
    "metadata is a list": {"message": "hi", "session_id": "S", "customData": [1, 2]},
}


@pytest.mark.parametrize("payload", MALFORMED_PAYLOADS.values(), ids=MALFORMED_PAYLOADS.keys())
def test_over_socketio_a_malformed_message_gets_a_could_not_read_reply(
    server: Server, chat: SocketChat, payload: Any, library: Library
) -> None:
    session = chat.start_session()
    if isinstance(payload, dict) and payload.get("session_id") == "S":
        payload = {**payload, "session_id": session}
    texts = socket_texts(chat.send(payload))
    assert texts == [library.messages["message_unreadable"]["us"].strip()]
    assert_still_running(server)


def test_over_socketio_a_region_in_the_metadata_picks_the_refusals_crisis_lines(
    chat: SocketChat, library: Library
) -> None:
    session = chat.start_session()
    texts = socket_texts(
        chat.send({"message": 42, "session_id": session, "customData": {"region": "uk"}})
    )
    assert texts == [library.messages["message_unreadable"]["uk"].strip()]
    assert "116 123" in texts[0]


BAD_SESSION_IDS: dict[str, Any] = {
    "session_id is a list": ["a", "b"],
    "session_id is an object": {"id": 1},
    "session_id is empty": "",
    "session_id with a new line": "a\nb",
    "1000-character session_id": "s" * 1000,
}


@pytest.mark.parametrize("session_id", BAD_SESSION_IDS.values(), ids=BAD_SESSION_IDS.keys())
def test_over_socketio_a_bad_session_request_gets_a_new_session_that_works(
    chat: SocketChat, session_id: Any, library: Library
) -> None:
    confirmed = chat.start_session(session_id)
    assert isinstance(confirmed, str) and re.fullmatch(r"[0-9a-f]{32}", confirmed), confirmed
    texts = socket_texts(chat.send({"message": "what is ketamine", "session_id": confirmed}))
    assert_sensible(texts)
    unit = library.unit("what_is_ketamine_overview")
    assert unit is not None and any(unit.answer in t for t in texts), texts


def test_over_socketio_a_session_id_with_slashes_and_unicode_is_kept(
    chat: SocketChat, library: Library
) -> None:
    session_id = f"../ü/患者/🙂/{uuid.uuid4().hex}"
    assert chat.start_session(session_id) == session_id
    texts = socket_texts(chat.send({"message": "what is ketamine", "session_id": session_id}))
    assert_sensible(texts)


# --- languages other than English ---------------------------------------------------------


def replies_over(channel: str, server: Server, library: Library, text: str) -> list[str]:
    if channel == "rest":
        sender = new_sender()
        return rest_texts(post_json(server, {"sender": sender, "message": text}), sender)
    visitor = SocketChat(server.url, ORIGIN, library.messages["disclaimer"]["us"])
    try:
        return socket_texts(ask_socket(visitor, text))
    finally:
        visitor.close()


@pytest.mark.parametrize("channel", ["rest", "socket.io"])
def test_a_question_in_spanish_is_told_that_only_english_is_understood(
    server: Server, library: Library, channel: str
) -> None:
    texts = replies_over(channel, server, library, "¿Qué es la ketamina y cómo funciona?")
    assert_sensible(texts)
    assert any("English" in t for t in texts), texts


@pytest.mark.parametrize("channel", ["rest", "socket.io"])
def test_quiero_morir_gets_crisis_resources(server: Server, library: Library, channel: str) -> None:
    texts = replies_over(channel, server, library, "quiero morir")
    assert_sensible(texts)
    assert any("988" in t for t in texts), texts


# --- afterwards ---------------------------------------------------------------------------


def test_afterwards_the_server_is_healthy_and_still_answers_questions(
    server: Server, chat: SocketChat, library: Library
) -> None:
    assert_still_running(server)
    with urllib.request.urlopen(f"{server.url}/", timeout=30) as root:
        assert root.status == 200
    unit = library.unit("what_is_ketamine_overview")
    assert unit is not None
    sender = new_sender()
    reply = post_json(server, {"sender": sender, "message": "what is ketamine"})
    rest = rest_texts(reply, sender)
    assert any(unit.answer in t for t in rest), rest
    # Over REST the sources also come as data, beside the text that names them.
    assert reply.body[-1]["custom"]["sources"] == [
        {"title": s.title, "url": s.url} for s in unit.sources
    ]
    over_socket = socket_texts(ask_socket(chat, "what is ketamine"))
    assert any(unit.answer in t for t in over_socket), over_socket


def test_afterwards_the_server_log_holds_no_traceback(server: Server) -> None:
    time.sleep(1)  # let the last lines reach the file
    log = server.log.read_text(encoding="utf-8", errors="replace")
    problems = [
        line
        for line in log.splitlines()
        if "Traceback" in line or "Exception occurred" in line or " ERROR " in line
    ]
    assert not problems, "\n".join(problems[:20])
