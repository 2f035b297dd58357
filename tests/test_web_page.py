"""The demo page server: what it serves, and the policy it serves it with."""

from __future__ import annotations

import html
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest

from bot.core.content import Library
from bot.core.crisis_lines import default_lines
from bot.web.serve import (
    build_site,
    content_security_policy,
    handler_for,
    phone_buttons,
    render_page,
)


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), handler_for(build_site("http://127.0.0.1:5005", "uk"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, dict(reply.headers), reply.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), ""


def test_the_page_has_its_settings_the_disclaimer_and_a_strict_policy(
    page_url: str, library: Library
) -> None:
    status, headers, body = get(f"{page_url}/")
    assert status == 200
    assert 'name="kb-rasa-url" content="http://127.0.0.1:5005"' in body
    assert 'name="kb-region" content="uk"' in body
    assert "Samaritans" in body  # the region's disclaimer from content/messages.yml
    assert library.message("sources_heading") in body
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy
    assert "connect-src 'self' http://127.0.0.1:5005 ws://127.0.0.1:5005" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert get(f"{page_url}/chat.js")[0] == 200


def test_the_page_gets_its_crisis_numbers_from_the_crisis_lines(page_url: str) -> None:
    body = get(f"{page_url}/")[2]
    found = re.search(r'name="kb-crisis-numbers" content="([^"]*)"', body)
    assert found is not None
    assert json.loads(html.unescape(found[1])) == phone_buttons(default_lines())


def test_each_number_gets_one_button_and_a_text_button_where_it_takes_texts() -> None:
    buttons = {b["text"]: b for b in phone_buttons(default_lines())}
    assert buttons["988"] == {"text": "988", "dial": "988", "canText": True}
    assert buttons["116 123"] == {"text": "116 123", "dial": "116123", "canText": False}
    assert {"911", "999", "111"} <= set(buttons)


@pytest.mark.parametrize(
    "path", ["/README.md", "/../README.md", "/static/index.html", "/serve.py", "/node_modules/"]
)
def test_only_the_listed_files_are_served(page_url: str, path: str) -> None:
    assert get(page_url + path)[0] == 404


def test_settings_are_escaped_into_the_page() -> None:
    page = render_page('<meta content="{{X}}">', {"X": '"><script>alert(1)</script>'})
    assert "<script>" not in page and "&quot;&gt;&lt;script&gt;" in page


def test_https_rasa_gets_a_secure_websocket() -> None:
    assert "wss://bot.example.org" in content_security_policy("https://bot.example.org")
