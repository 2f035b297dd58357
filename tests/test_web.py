"""The web chat in a real browser: Rasa's socket.io channel, the rasa-webchat widget, the page.

Starts the Rasa server with the trained model, the action server and the page server
(the same scripts as `make web`) on free ports with a fresh SQLite tracker store, and
drives Debian's chromium through Playwright. Saves reports/web-chat.png.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright

from bot.core import appointment
from bot.core.content import Library
from bot.web.serve import WIDGET
from tools.stack import MODEL, ROOT, Stack, started, wait_for_http

pytestmark = pytest.mark.web

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = ROOT / "reports" / "web-chat.png"
CLINIC = ROOT / "tests" / "clinic" / "riverside.yml"  # the deploying clinic's profile
INJECTIONS = ('<img src=x onerror="window.__pwned=1">', "<script>window.__pwned=2</script>")
REPLY_TIMEOUT = 60_000  # ms
MESSAGES = ".rw-response .rw-markdown"
INPUT = "e.classList.contains('rw-new-message')"  # a test for tab_to


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    assert MODEL.exists(), "train first: make train"
    assert WIDGET.exists(), "install the widget first: make web-install"
    folder = tmp_path_factory.mktemp("web")
    with started(folder, {"CLINIC_PROFILE": str(CLINIC)}, page=True, ready="/") as stack:
        wait_for_http(stack.page_url, stack.process, stack.log)
        yield stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make web-install` (tools/apt_install.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no stored conversation) for each test."""
    context = browser.new_context(viewport={"width": 1000, "height": 1300})
    yield context
    context.close()


def local(url: str) -> bool:
    return url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:"))


@dataclass
class Traffic:
    """What the page asked for: off-machine URLs (with why each failed) and WebSockets."""

    outside: dict[str, str | None] = field(default_factory=dict)
    sockets: list[str] = field(default_factory=list)


def open_chat(context: BrowserContext, stack: Stack) -> tuple[Page, Traffic]:
    """The page, once the widget shows its first bot message, and what it asked for."""
    page = context.new_page()
    traffic = Traffic()
    page.on("request", lambda r: None if local(r.url) else traffic.outside.setdefault(r.url, None))
    page.on(
        "requestfailed",
        lambda r: None if local(r.url) else traffic.outside.update({r.url: r.failure}),
    )
    page.on("websocket", lambda socket: traffic.sockets.append(socket.url))
    page.goto(stack.page_url)
    page.locator(MESSAGES).first.wait_for(timeout=REPLY_TIMEOUT)
    return page, traffic


def bubble(page: Page, text: str) -> Locator:
    """The bot message that contains ``text`` (its first words), once it is there."""
    locator = page.locator(".rw-response", has_text=first_words(text)).last
    locator.wait_for(timeout=REPLY_TIMEOUT)
    return locator


def first_words(text: str, count: int = 8) -> str:
    return " ".join(text.split()[:count])


def send(page: Page, text: str) -> None:
    """Type into the focused chat input and press Enter, as a keyboard user does."""
    assert page.evaluate("() => document.activeElement.classList.contains('rw-new-message')")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def tab_to(page: Page, test: str, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the focused element passes the JS ``test``."""
    check = f"() => {{ const e = document.activeElement; return Boolean(e && ({test})); }}"
    for _ in range(limit):
        if page.evaluate(check):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"keyboard focus never reached {test}")


def stored_session(page: Page) -> str:
    stored = page.evaluate("() => window.localStorage.getItem('chat_session')")
    return str(json.loads(stored)["session_id"])


def test_a_visitor_asks_gets_crisis_help_stays_safe_and_comes_back(
    stack: Stack, context: BrowserContext, library: Library
) -> None:
    page, traffic = open_chat(context, stack)
    disclaimer = library.messages["disclaimer"]["us"]
    assert first_words(disclaimer) in " ".join(page.inner_text("#kb-disclaimer-text").split())
    bubble(page, disclaimer)  # also the conversation's first message
    assert page.get_attribute(".rw-new-message", "aria-label") == "Your question"

    # Keyboard only: Tab from the top of the page to the input, type, Enter.
    page.locator("body").focus()
    tab_to(page, INPUT)
    send(page, "does ketamine cause nausea?")
    unit = library.unit("nausea_and_vomiting")
    assert unit is not None
    answer = bubble(page, unit.answer)
    assert library.message("sources_heading") in answer.inner_text()
    source = unit.sources[0]
    link = answer.locator(f'a[href="{source.url}"]')
    assert link.inner_text() == source.title  # a short name, not a raw URL
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in (link.get_attribute("rel") or "")
    spoken = page.locator("#kb-announce")
    assert first_words(unit.answer) in " ".join(spoken.inner_text().split())
    assert source.title not in spoken.inner_text()  # sources are counted, not read out

    # The related questions are quick replies, and they work from the keyboard too.
    related = library.unit(unit.related[0])
    assert related is not None
    tab_to(
        page, f"e.classList.contains('rw-reply') && e.textContent === {related.question!r}", True
    )
    page.keyboard.press("Enter")
    bubble(page, related.answer)
    tab_to(page, INPUT)

    send(page, "I want to end my life")
    card = page.locator(".rw-response.kb-crisis").last
    card.wait_for(timeout=REPLY_TIMEOUT)
    assert card.locator('a[href="tel:988"]').first.inner_text() == "Call 988"
    assert card.locator('a[href="sms:988"]').first.inner_text() == "Text 988"
    assert card.get_attribute("aria-label") == "Crisis help"
    assert "988" in card.inner_text()
    assert "988" in page.inner_text("#kb-announce-urgent")
    # The card scrolls away as the conversation goes on; its buttons stay above the chat.
    assert page.locator('#kb-help a[href="tel:988"]').inner_text() == "Call 988"

    for attack in INJECTIONS:
        replies = page.locator(MESSAGES).count()
        send(page, attack)
        page.locator(MESSAGES).nth(replies).wait_for(timeout=REPLY_TIMEOUT)
    shown = page.locator(".rw-client .rw-message-text").all_inner_texts()
    assert shown[-2:] == list(INJECTIONS)  # shown literally, as typed
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.locator("#webchat img, #webchat script").count() == 0

    # socket.io-client 3 in the widget: Engine.IO 4, upgraded from polling to a WebSocket.
    websocket = stack.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    assert any(url.startswith(websocket) for url in traffic.sockets), traffic.sockets

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Reload: the conversation is still there, decorated again but not read out again,
    # and the server still knows it ("tell me more" continues from the last answer).
    session = stored_session(page)
    page.reload()
    page.locator(".rw-client", has_text="does ketamine cause nausea?").wait_for()
    page.locator(".rw-response.kb-crisis .kb-crisis-actions a[href='sms:988']").wait_for()
    page.locator("#kb-help a[href='sms:988']").wait_for()
    page.locator(f'.rw-response a[href="{source.url}"]').first.wait_for()
    assert page.inner_text("#kb-announce").strip() == ""
    assert stored_session(page) == session
    tab_to(page, INPUT)
    send(page, "tell me more")
    shown = {unit.id, related.id}
    following = library.unit(next(r for r in related.related if r not in shown))
    assert following is not None
    bubble(page, following.answer)

    # Nothing was fetched from elsewhere: the page's policy blocks the widget's web font.
    assert all(reason == "csp" for reason in traffic.outside.values()), traffic.outside


def test_start_over_begins_a_new_conversation(
    stack: Stack, context: BrowserContext, library: Library
) -> None:
    page, _ = open_chat(context, stack)
    page.locator(".rw-new-message").focus()
    send(page, "does ketamine cause nausea?")
    bubble(page, library.message("sources_heading"))
    first_session = stored_session(page)

    button = page.get_by_role("button", name="Start over")
    assert button.is_visible()
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator(MESSAGES).first.wait_for(timeout=REPLY_TIMEOUT)
    assert page.locator(".rw-client").count() == 0
    assert stored_session(page) != first_session
    # Focus is back in the input, and the server has no topic for this new session.
    send(page, "tell me more")
    bubble(page, library.message("no_topic"))


def test_the_clinic_s_prices_and_how_to_reach_it_are_on_the_page(
    stack: Stack, context: BrowserContext
) -> None:
    page, _ = open_chat(context, stack)
    page.locator(".rw-new-message").focus()
    send(page, "how much does spravato cost?")
    answer = bubble(page, "Prices at Riverside Mood Clinic, as the clinic")
    text = " ".join(answer.inner_text().split())
    assert "Spravato session: $900 (before insurance)" in text
    assert "call +1 555 010 0199" in text


# Where the printed summary lies in the page laid out for print, and which elements
# that hold it would cut it off (a box that scrolls or hides what overflows it).
PRINT_LAYOUT = """(target) => {
  const box = target.getBoundingClientRect();
  const cutBy = [];
  for (let e = target.parentElement; e; e = e.parentElement) {
    const style = getComputedStyle(e);
    const frame = e.getBoundingClientRect();
    const cuts = style.overflowX !== 'visible' || style.overflowY !== 'visible';
    if (cuts && (frame.top > box.top || frame.bottom < box.bottom)) cutBy.push(e.className);
  }
  const page = document.body.getBoundingClientRect();
  return {top: box.top - page.top, bottom: box.bottom - page.top, page: page.height, cutBy};
}"""
# What a printout of the summary must leave out, each shown on screen before it. The
# widget, embedded, shows no launcher and no header of its own.
NOT_PRINTED = {
    "the page's header": ".kb-header",
    "the disclaimer": ".kb-disclaimer",
    "the chat's title and Start over": ".kb-chat-bar",
    "the connection status": "#kb-status",
    "the chat input": ".rw-new-message",
    "the send button": ".rw-send",
    "the crisis help bar": "#kb-help",
    "the crisis card": ".rw-response.kb-crisis",
    "the visitor's messages": ".rw-client",
    "the other answers": ".rw-response:not(.kb-print-target)",
    "the print button": ".kb-summary-print",
}


def visible(page: Page, selector: str) -> int:
    return sum(element.is_visible() for element in page.locator(selector).all())


def test_the_appointment_summary_can_be_printed_alone(
    stack: Stack, context: BrowserContext, library: Library
) -> None:
    page, _ = open_chat(context, stack)
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed++; }; }")
    page.locator(".rw-new-message").focus()
    send(page, "does ketamine cause nausea?")
    units = [library.units["nausea_and_vomiting"]]
    bubble(page, units[0].answer)
    for _ in range(2):  # a summary longer than the chat's box has room for
        following = library.units[next(r for r in units[-1].related if r not in units)]
        page.locator(".rw-reply", has_text=following.question).first.click()
        bubble(page, following.answer)
        units.append(following)
    page.locator(".rw-new-message").focus()
    send(page, "I want to end my life")  # last: answers after a crisis offer no quick replies
    page.locator("#kb-help a[href='tel:988']").wait_for(timeout=REPLY_TIMEOUT)
    page.locator(".rw-new-message").focus()
    send(page, "summarize this for my appointment")
    summary = bubble(page, library.message("summary_heading"))
    for name, selector in NOT_PRINTED.items():
        assert visible(page, selector), f"{name} is not on the screen"
    summary.get_by_role("button", name=library.message("summary_print")).click()
    assert page.evaluate("() => window.__printed") == 1
    assert "kb-print-target" in (summary.get_attribute("class") or "")

    # The page as the browser lays it out for printing, while print() runs.
    page.emulate_media(media="print")
    printed = " ".join(summary.inner_text().split())
    lines = [
        line.lstrip("-0123456789. ")
        for line in appointment.summary([u.id for u in units], library).text.splitlines()
    ]
    for line in filter(None, lines):  # the points, the questions for the prescriber, the note
        assert line in printed
    assert summary.get_by_text(library.message("summary_note")).is_visible()
    shown = [name for name, selector in NOT_PRINTED.items() if visible(page, selector)]
    assert not shown, f"printed with the summary: {shown}"
    # Whole, on top of the first page, and with no blank space left for what is hidden.
    layout = summary.evaluate(PRINT_LAYOUT)
    assert layout["cutBy"] == [], layout
    assert layout["top"] < 16 and layout["page"] - layout["bottom"] < 16, layout

    # Chromium's own print to PDF (it fires afterprint, so it comes last): one page.
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5_000
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # page objects, not /Pages
    assert "kb-printing" not in (page.get_attribute("body", "class") or "")
    assert page.locator(".kb-print-target, .kb-print-path").count() == 0


def test_the_page_script_keeps_bot_text_as_text(stack: Stack, context: BrowserContext) -> None:
    """Text that looks like HTML stays text when the script adds links around it."""
    page, _ = open_chat(context, stack)
    page.evaluate(
        """() => {
        const bubble = document.createElement('div');
        bubble.className = 'rw-response';
        bubble.id = 'fake';
        const markdown = document.createElement('div');
        markdown.className = 'rw-markdown';
        markdown.textContent = '<img src=x onerror="window.__pwned=3"> read '
          + 'https://example.org/a_(b) or call or text 988. '
          + '<a href="javascript:window.__pwned=4">x</a>';
        bubble.appendChild(markdown);
        document.querySelector('.rw-messages-container').appendChild(bubble);
    }"""
    )
    fake = page.locator("#fake")
    fake.locator('a[href="tel:988"]').wait_for()
    assert fake.locator('a[href="https://example.org/a_(b)"]').count() == 1
    assert fake.locator("img").count() == 0
    assert fake.locator('a[href^="javascript"]').count() == 0
    assert "<img src=x" in fake.inner_text()
    assert page.evaluate("() => typeof window.__pwned") == "undefined"


def handshake(stack: Stack, origin: str) -> tuple[int, str | None]:
    """Open a socket.io (Engine.IO 4, as socket.io-client 3 does) session from ``origin``."""
    request = urllib.request.Request(
        f"{stack.url}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.headers.get("Access-Control-Allow-Origin")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Access-Control-Allow-Origin")


def test_only_the_page_origin_may_connect(stack: Stack) -> None:
    assert handshake(stack, stack.origin) == (200, stack.origin)
    status, allowed = handshake(stack, "http://evil.example")
    assert status == 400 and allowed is None
