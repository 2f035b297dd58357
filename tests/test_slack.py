"""The Slack channel end to end, against a local stand-in for the Slack Web API.

Runs the real Rasa server (trained model, credentials.yml joined with
credentials.slack.yml as `make run` does) and the action server on free ports, posts
Slack Events API and interaction payloads signed the way Slack signs them, and reads
the replies that Rasa's Slack client posts to the stand-in's chat.postMessage.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.channels.credentials import merge
from bot.core.content import AnswerUnit, Library
from tools.stack import MODEL, ROOT, started

pytestmark = pytest.mark.slack

BOT_USER = "UBOT0001"
WATCHED_CHANNEL = "C0WATCHED"  # SLACK_CHANNEL: the bot reads every message here
REPLY_TIMEOUT = 90.0


@dataclass
class SlackStandIn:
    """A local Slack Web API that records chat.postMessage calls."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or b"{}")
                else:
                    body = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
                with stand_in.lock:
                    stand_in.calls.append(
                        {
                            "method": self.path.rsplit("/", 1)[-1],
                            "auth": self.headers.get("Authorization"),
                            "body": body,
                        }
                    )
                reply = json.dumps({"ok": True, "channel": body.get("channel"), "ts": "1.1"})
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.end_headers()
                self.wfile.write(reply.encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def posts(self, channel: str) -> list[dict[str, Any]]:
        """The message bodies posted to ``channel``, in order."""
        with self.lock:
            return [
                c["body"]
                for c in self.calls
                if c["method"] == "chat.postMessage" and c["body"].get("channel") == channel
            ]

    def wait_for(
        self, channel: str, test: Callable[[dict[str, Any]], bool], timeout: float = REPLY_TIMEOUT
    ) -> dict[str, Any]:
        """The first post to ``channel`` that passes ``test``, waiting for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [p for p in self.posts(channel) if test(p)]
            if found:
                return found[0]
            time.sleep(0.25)
        raise AssertionError(f"no matching post to {channel}: {self.posts(channel)}")


@dataclass(frozen=True)
class Stack:
    """The running Rasa server, its signing secret and token, and the Slack stand-in."""

    url: str
    secret: str
    token: str
    slack: SlackStandIn


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    assert MODEL.exists(), "train first: make train"
    folder = tmp_path_factory.mktemp("slack")
    stand_in = SlackStandIn()
    api = ThreadingHTTPServer(("127.0.0.1", 0), stand_in.handler())
    threading.Thread(target=api.serve_forever, daemon=True).start()
    # Made up per run, so no secret-looking literal sits in the repository.
    secret, token = secrets.token_hex(16), "xoxb-" + secrets.token_hex(12)
    credentials = folder / "credentials.yml"
    credentials.write_text(
        merge([(n, (ROOT / n).read_text()) for n in ("credentials.yml", "credentials.slack.yml")])
    )
    env = {
        "SLACK_TOKEN": token,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_CHANNEL": WATCHED_CHANNEL,
        "SLACK_API_URL": f"http://127.0.0.1:{api.server_address[1]}/api/",
    }
    try:
        with started(folder, env, credentials=credentials, ready="/webhooks/slack/") as servers:
            yield Stack(servers.url, secret, token, stand_in)
    finally:
        api.shutdown()
        api.server_close()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: v0=HMAC-SHA256 of "v0:{timestamp}:{body}"."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def deliver(
    stack: Stack,
    payload: dict[str, Any],
    *,
    form: bool = False,
    secret: str | None = None,
    age_seconds: int = 0,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """POST a payload to the Slack webhook as Slack does; the status and body of the reply."""
    if form:  # interactions come form-encoded, as payload=<JSON>
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        body = json.dumps(payload).encode()
        content_type = "application/json"
    timestamp = str(int(time.time()) - age_seconds)
    request = urllib.request.Request(
        f"{stack.url}/webhooks/slack/webhook",
        data=body,
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(secret or stack.secret, timestamp, body),
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def message_event(
    user: str, channel: str, text: str, *, kind: str = "message", channel_type: str = "im"
) -> dict[str, Any]:
    """An Events API envelope for a user's message (or @mention)."""
    ts = f"{time.time():.6f}"
    event = {"type": kind, "user": user, "text": text, "ts": ts, "channel": channel}
    if kind == "message":
        event["channel_type"] = channel_type
    return {
        "type": "event_callback",
        "team_id": "T0TEAM",
        "api_app_id": "A0APP",
        "event": event,
        "event_id": "Ev" + secrets.token_hex(6),
        "event_time": int(time.time()),
        "authorizations": [{"user_id": BOT_USER, "is_bot": True}],
    }


def button_click(user: str, channel: str, value: str) -> dict[str, Any]:
    """A block_actions interaction: the user clicked the button whose value is ``value``."""
    return {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": channel},
        "trigger_id": secrets.token_hex(8),
        "message": {"ts": f"{time.time():.6f}"},
        "actions": [{"type": "button", "value": value, "action_ts": f"{time.time():.6f}"}],
    }


def has(text: str) -> Callable[[dict[str, Any]], bool]:
    """A test for posts whose text contains the first words of ``text``."""
    words = " ".join(text.split()[:8])
    return lambda post: words in " ".join(str(post.get("text", "")).split())


def mrkdwn(post: dict[str, Any]) -> str:
    return "\n".join(
        b["text"]["text"] for b in post.get("blocks", []) if b.get("type") == "section"
    )


def buttons(post: dict[str, Any]) -> list[str]:
    actions = [b for b in post.get("blocks", []) if b.get("type") == "actions"]
    return [element["value"] for block in actions for element in block["elements"]]


def nausea(library: Library) -> AnswerUnit:
    unit = library.unit("nausea_and_vomiting")
    assert unit is not None
    return unit


def test_a_question_gets_the_answer_with_sources_as_links(stack: Stack, library: Library) -> None:
    user, channel = "U0ASKER", "D0ASKER"
    assert deliver(stack, message_event(user, channel, "does ketamine cause nausea?"))[0] == 200
    unit = nausea(library)
    answer = stack.slack.wait_for(channel, has(unit.answer))
    posts = stack.slack.posts(channel)
    assert has(library.messages["disclaimer"]["us"])(posts[0])  # the session starts with it
    text = mrkdwn(answer).replace("&amp;", "&")
    assert library.message("sources_heading") in text
    for source in unit.sources:
        assert f"<{source.url}|{source.title}>" in text
    assert "](http" not in text  # no Markdown left for Slack to show as is
    related = library.unit(unit.related[0])
    assert related is not None and any(related.id in value for value in buttons(answer))
    calls = stack.slack.calls
    assert all(c["auth"] == f"Bearer {stack.token}" for c in calls)


def test_a_button_click_is_answered(stack: Stack, library: Library) -> None:
    user, channel = "U0CLICKER", "D0CLICKER"
    deliver(stack, message_event(user, channel, "does ketamine cause nausea?"))
    stack.slack.wait_for(channel, has(library.message("sources_heading")))
    related = library.unit(nausea(library).related[0])
    assert related is not None
    payload = f'/{related.topic}{{"unit": "{related.id}"}}'
    status, _ = deliver(stack, button_click(user, channel, payload), form=True)
    assert status == 200
    stack.slack.wait_for(channel, has(related.answer))


def test_the_appointment_summary_comes_as_text(stack: Stack, library: Library) -> None:
    user, channel = "U0SUMMARY", "D0SUMMARY"
    deliver(stack, message_event(user, channel, "does ketamine cause nausea?"))
    stack.slack.wait_for(channel, has(nausea(library).answer))
    deliver(stack, message_event(user, channel, "summarize this for my appointment"))
    post = stack.slack.wait_for(channel, has(library.message("summary_heading")))
    text = mrkdwn(post)
    assert nausea(library).question in text
    assert library.message("summary_questions") in text


def test_a_crisis_message_gets_crisis_resources(stack: Stack, domain: dict[str, Any]) -> None:
    user, channel = "U0CRISIS", "D0CRISIS"
    deliver(stack, message_event(user, channel, "I want to end my life"))
    crisis = domain["responses"]["utter_crisis"][0]["text"]
    post = stack.slack.wait_for(channel, has(crisis))
    assert "988" in post["text"] and "911" in post["text"]
    assert "• Call or text 988" in mrkdwn(post)  # one message, its list as bullets


def test_a_message_too_long_to_read_gets_a_shorter_please_reply(
    stack: Stack, library: Library
) -> None:
    user, channel = "U0LONG", "D0LONG"
    status, _ = deliver(stack, message_event(user, channel, "is ketamine safe? " * 400))
    assert status == 200
    post = stack.slack.wait_for(channel, has(library.regional_message("message_too_long", "us")[1]))
    assert "988" in post["text"]
    time.sleep(1)
    assert not any(has(library.message("sources_heading"))(p) for p in stack.slack.posts(channel))


def test_forged_and_stale_requests_get_no_reply(stack: Stack, library: Library) -> None:
    forged = message_event("U0FORGED", "D0FORGED", "does ketamine cause nausea?")
    status, text = deliver(stack, forged, secret=secrets.token_hex(16))
    assert status == 400 and "X-Slack-Signature" in text
    stale = message_event("U0STALE", "D0STALE", "does ketamine cause nausea?")
    assert deliver(stack, stale, age_seconds=6 * 60)[0] == 400
    # A genuine message sent after them is answered; by then they would have been too.
    deliver(stack, message_event("U0CONTROL", "D0CONTROL", "does ketamine cause nausea?"))
    stack.slack.wait_for("D0CONTROL", has(library.message("sources_heading")))
    time.sleep(2)
    assert stack.slack.posts("D0FORGED") == [] and stack.slack.posts("D0STALE") == []


def test_retries_and_double_deliveries_get_one_answer(stack: Stack, library: Library) -> None:
    sources = has(library.message("sources_heading"))
    event = message_event("U0RETRY", "D0RETRY", "does ketamine cause nausea?")
    deliver(stack, event)
    stack.slack.wait_for("D0RETRY", sources)
    # Slack re-sends the same event when it did not see a quick 200. Rasa itself only
    # drops retries for http_timeout; this one says http_error.
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    assert deliver(stack, event, headers=retry)[0] == 200
    # An @mention in a channel the bot reads comes as app_mention and as message.
    mention = message_event("U0MENTION", WATCHED_CHANNEL, f"<@{BOT_USER}> what is ketamine?")
    mention["event"]["type"] = "app_mention"
    as_message = json.loads(json.dumps(mention))
    as_message["event"].update(type="message", channel_type="channel")
    as_message["event_id"] = "Ev" + secrets.token_hex(6)
    deliver(stack, mention)
    deliver(stack, as_message)
    what_is = library.unit("what_is_ketamine_overview")
    assert what_is is not None
    stack.slack.wait_for(WATCHED_CHANNEL, has(what_is.answer))
    # Let a second answer arrive if one were coming: a later message is answered first.
    deliver(stack, message_event("U0LATER", "D0LATER", "does ketamine cause nausea?"))
    stack.slack.wait_for("D0LATER", sources)
    time.sleep(2)
    assert len([p for p in stack.slack.posts("D0RETRY") if sources(p)]) == 1
    assert len([p for p in stack.slack.posts(WATCHED_CHANNEL) if has(what_is.answer)(p)]) == 1


def test_the_url_check_gets_its_challenge_back(stack: Stack) -> None:
    status, text = deliver(stack, {"type": "url_verification", "challenge": "c-123"})
    assert status == 200 and "c-123" in text
