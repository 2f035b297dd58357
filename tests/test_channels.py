"""The channel classes and the credentials joiner, without a running server."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
from rasa.shared.exceptions import RasaException
from rasa.shared.utils.io import read_config_file

from bot.channels import slack as slack_channel
from bot.channels.credentials import CredentialsError, merge
from bot.channels.socketio import CRISIS_CLASS, WebChatInput, WebChatOutput, allowed_origins
from tests.fakes import FakeSio
from tools.stack import ROOT


def test_allowed_origins_come_from_the_environment_first() -> None:
    assert allowed_origins("http://a:1, http://b:2/", ["http://c"]) == ["http://a:1", "http://b:2"]
    assert allowed_origins(None, ["http://c/"]) == ["http://c"]
    assert allowed_origins("", "http://d") == ["http://d"]
    assert allowed_origins(None, None) is None  # same-origin only


async def test_a_bot_message_is_sent_whole_with_its_buttons() -> None:
    sio = FakeSio()
    output = WebChatOutput(sio, "bot_uttered")  # type: ignore[arg-type]
    text = "Answer.\n\nWhere this comes from:\n- FDA: Label (https://example.org/x)"
    await output.send_response(
        "s1", {"text": text, "buttons": [{"title": "More", "payload": "/m"}]}
    )
    assert len(sio.emitted) == 1  # Rasa's channel would send three bubbles
    event, data, kwargs = sio.emitted[0]
    assert (event, kwargs["room"]) == ("bot_uttered", "s1")
    assert data["text"] == text
    assert data["quick_replies"] == [{"content_type": "text", "title": "More", "payload": "/m"}]
    assert "metadata" not in data


async def test_a_crisis_response_is_marked_for_the_page() -> None:
    sio = FakeSio()
    output = WebChatOutput(sio, "bot_uttered")  # type: ignore[arg-type]
    await output.send_response(
        "s1", {"text": "Call 988.\n\nStay safe.", "utter_action": "utter_crisis"}
    )
    (_, data, _), *rest = sio.emitted
    assert rest == []
    assert data["metadata"] == {"customCss": {"style": "class", "css": CRISIS_CLASS}}


async def test_session_request_joins_the_session_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_ORIGINS", "http://127.0.0.1:8080")
    channel = WebChatInput.from_credentials({"session_persistence": True})
    received = []

    async def on_new_message(message: Any) -> None:
        received.append(message)

    channel.blueprint(on_new_message)
    assert channel.sio is not None
    assert channel.sio.eio.cors_allowed_origins == ["http://127.0.0.1:8080"]
    fake = FakeSio()
    channel.sio.enter_room = fake.enter_room  # type: ignore[method-assign]
    channel.sio.emit = fake.emit  # type: ignore[method-assign]
    handlers = channel.sio.handlers["/"]
    await handlers["session_request"]("sid1", {"session_id": "abc"})
    assert fake.rooms == [("sid1", "abc")]  # awaited: Rasa 3.6 forgets to
    assert fake.emitted[0][:2] == ("session_confirm", "abc")
    await handlers["user_uttered"]("sid1", {"message": "hi", "session_id": "abc", "customData": {}})
    assert received[0].sender_id == "abc" and received[0].text == "hi"
    assert isinstance(received[0].output_channel, WebChatOutput)


def test_markdown_links_become_slack_links_and_text_is_escaped() -> None:
    text = (
        "Use <b> & more.\n\n- plain item\n\n"
        "Sources: [Spravato label & guide](https://example.org/a), [MedlinePlus](https://example.org/b)"
    )
    assert slack_channel.to_mrkdwn(text) == (
        "Use &lt;b&gt; &amp; more.\n\n• plain item\n\n"
        "Sources: <https://example.org/a|Spravato label &amp; guide>, <https://example.org/b|MedlinePlus>"
    )


def test_long_texts_are_split_under_the_section_limit() -> None:
    paragraphs = ["x" * 1200, "y" * 1200, "z" * 1200, "w" * 7000]
    parts = slack_channel.split_sections("\n\n".join(paragraphs))
    assert all(len(p) <= slack_channel.SECTION_LIMIT for p in parts)
    assert "".join(parts).replace("\n", "") == "".join(paragraphs)
    blocks = slack_channel.message_blocks("Hi", [{"title": "More", "payload": "/ask_more"}])
    assert blocks[-1]["elements"][0]["value"] == "/ask_more"


def test_recent_keys_forget_after_their_time(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    keys = slack_channel.RecentKeys(size=2, ttl_seconds=60)
    assert not keys.seen_before("a") and keys.seen_before("a")
    now[0] += 61
    assert not keys.seen_before("a")
    keys.seen_before("b"), keys.seen_before("c")  # "a" falls out: at most 2 kept
    assert not keys.seen_before("a")


def test_one_user_message_has_one_delivery_key() -> None:
    event = {"channel": "C1", "ts": "1.2", "type": "app_mention"}
    mention = {"event_id": "Ev1", "event": event}
    message = {"event_id": "Ev2", "event": {**event, "type": "message"}}
    key = slack_channel.delivery_key(mention)
    assert key == slack_channel.delivery_key(message) == "message:C1:1.2"
    assert slack_channel.delivery_key({"event_id": "Ev3", "event": {}}) == "event:Ev3"
    click = {"user": {"id": "U1"}, "trigger_id": "t", "actions": [{"action_ts": "9"}]}
    assert slack_channel.delivery_key(click) == "action:U1:9:t"


def test_slack_replies_go_to_the_configured_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    output = slack_channel.SlackOutput("xoxb-test", "D1")
    assert output.client.base_url == "http://127.0.0.1:9/api/"
    monkeypatch.delenv("SLACK_API_URL")
    assert slack_channel.api_url() == "https://slack.com/api/"


def test_rasa_refuses_unset_variables_so_slack_has_its_own_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    names_in_order = ("SLACK_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CHANNEL")
    for name in names_in_order:
        monkeypatch.delenv(name, raising=False)
    joined = tmp_path / "credentials.yml"
    names = ("credentials.yml", "credentials.slack.yml")
    joined.write_text(merge([(n, (ROOT / n).read_text()) for n in names]))
    with pytest.raises(RasaException, match="SLACK_TOKEN"):
        read_config_file(str(joined))
    assert "bot.channels.socketio.WebChatInput" in read_config_file(str(ROOT / "credentials.yml"))
    values = [secrets.token_hex(8), secrets.token_hex(8), ""]  # an empty channel is fine
    for name, value in zip(names_in_order, values, strict=True):
        monkeypatch.setenv(name, value)
    slack = read_config_file(str(joined))["bot.channels.slack.SlackInput"]
    assert list(slack.values()) == values


def test_joining_credentials_refuses_a_channel_twice() -> None:
    with pytest.raises(CredentialsError, match="rest"):
        merge([("a.yml", "rest:\n"), ("b.yml", "rest:\n")])
    with pytest.raises(CredentialsError, match="mapping"):
        merge([("a.yml", "- rest\n")])


async def test_a_rest_reply_carries_its_sources_as_data_beside_the_text(library) -> None:
    from bot.channels.rest import SourcedCollector
    from bot.core.answers import answer_unit

    unit = library.unit("spravato_taste")
    reply = answer_unit(unit, library)
    collector = SourcedCollector()
    await collector.send_text_message("user", reply.text)
    *answer, sourced = collector.messages
    assert answer[0]["text"] == unit.answer and not answer[0].get("custom")
    assert sourced["text"].startswith(library.message("sources_heading"))
    assert sourced["custom"] == {
        "sources": [{"title": s.title, "url": s.url} for s in unit.sources]
    }
