"""Every crisis, emergency and help line a patient reads is the one of their region.

The numbers are written once, in content/crisis_lines.yml (bot/core/crisis_lines.py);
every text names them as {{crisis}}, ...; domain.yml holds the Rasa responses that
name one filled in from content/crisis_responses.yml (tools/crisis_responses.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.clinic import REGIONS
from bot.core.content import CONTENT_DIR, Library
from bot.core.crisis_lines import LinesError, default_lines, fill
from bot.core.yaml_files import read_yaml
from bot.quality.patient_texts import texts_read_in
from bot.web.serve import phone_buttons
from tools.crisis_responses import DOMAIN_FILE, TEMPLATES_FILE, current_block, render

ROOT = Path(__file__).resolve().parents[1]
LINES = default_lines()
VALUES = {value for region in LINES.values() for value in region.lines.values()}
NAMES = {name for region in LINES.values() for name in region.names}
# A number someone is told to call, text or dial, and a North American phone number:
# lines that crisis_lines.yml may not know yet.
CALLED = re.compile(
    r"\b(?:call|text|dial|phone|ring)\b[^.\n]{0,40}?(?<![\w./-])(\d[\d ()-]{1,16}\d)(?![\w/-])",
    re.IGNORECASE,
)
PHONE = re.compile(r"\b1-\d{3}-[\dA-Z]{3}-[\dA-Z]{4}\b")


def written(value: str) -> re.Pattern[str]:
    """``value`` standing on its own in a text (so 988 is not found in 1988 or 988lifeline)."""
    return re.compile(r"(?<![\w./-])" + re.escape(value) + r"(?![\w/-])")


def lines_in(text: str) -> set[str]:
    """Every line a text gives: the known ones and any number it says to call or text."""
    found = {value for value in VALUES if written(value).search(text)}
    found |= {m[1].strip() for m in CALLED.finditer(text)} | set(PHONE.findall(text))
    return found


def strange_lines(text: str, region: str) -> list[str]:
    """The lines and services in ``text`` that are not the ones of ``region``."""
    own = LINES[region]
    wrong = [f for f in lines_in(text) if not any(f in value for value in own.lines.values())]
    return wrong + [name for name in NAMES - set(own.names) if name in text]


@pytest.mark.parametrize("region", REGIONS)
def test_every_text_a_reader_gets_gives_only_the_lines_of_their_region(
    region: str, library: Library, domain: dict[str, Any]
) -> None:
    texts = texts_read_in(region, library, domain)
    assert sum(1 for t in texts if lines_in(t.text)) >= 20  # the check does find them
    wrong = {t.where: strange_lines(t.text, region) for t in texts}
    assert {where: lines for where, lines in wrong.items() if lines} == {}


def test_the_check_finds_a_line_of_another_region_or_an_unknown_one() -> None:
    assert strange_lines("Call Samaritans free on 116 123.", "us") == ["116 123", "Samaritans"]
    assert strange_lines("In an emergency, call 112.", "uk") == ["112"]
    assert strange_lines("Poison help: 1-800-555-0199.", "ca") == ["1-800-555-0199"]
    assert strange_lines("Call 999 now. Ketamine was scheduled in 1999.", "uk") == []


def _strings(data: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in parsed YAML with where it is; what patients type is left out."""
    if isinstance(data, str):
        yield where, data
    elif isinstance(data, dict):
        for key, value in data.items():
            if key != "examples":
                yield from _strings(value, f"{where} {key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, f"{where}[{i}]")


def _sources() -> Iterator[tuple[str, str]]:
    """Every text as it is written: content files, templates, hand-written responses."""
    paths = [CONTENT_DIR / "messages.yml", TEMPLATES_FILE]
    paths += sorted((CONTENT_DIR / "topics").glob("*.yml"))
    paths += sorted((CONTENT_DIR / "answers").glob("*.yml"))
    for path in paths:
        yield from _strings(read_yaml(path), path.name)
    generated = read_yaml(TEMPLATES_FILE)["responses"]
    responses = read_yaml(DOMAIN_FILE)["responses"]
    by_hand = {name: r for name, r in responses.items() if name not in generated}
    yield from _strings(by_hand, "domain.yml responses")


def test_no_text_writes_a_line_itself_only_crisis_lines_yml_does() -> None:
    written_out = {where: lines_in(text) for where, text in _sources()}
    assert {where: found for where, found in written_out.items() if found} == {}


def test_domain_yml_holds_the_crisis_responses_as_written_from_their_templates() -> None:
    domain = DOMAIN_FILE.read_text(encoding="utf-8")
    expected = render(read_yaml(TEMPLATES_FILE)["responses"], LINES)
    assert current_block(domain) == expected, "run: python -m tools.crisis_responses"


def test_the_crisis_cards_need_nothing_but_domain_yml(domain: dict[str, Any]) -> None:
    """Their numbers are in the responses themselves, not filled in by an action or a slot."""
    for name, variations in domain["responses"].items():
        if name.startswith("utter_crisis"):
            assert all("{" not in v["text"] and lines_in(v["text"]) for v in variations), name


def test_a_line_is_filled_in_for_the_region_of_its_text() -> None:
    assert fill("call {{crisis}} or {{ emergency }}", "uk") == "call 116 123 or 999"
    assert fill("no line here", None) == "no line here"
    with pytest.raises(LinesError, match="not written for one region"):
        fill("call {{crisis}}", None)
    with pytest.raises(LinesError, match="no line"):
        fill("call {{poison}}", "uk")


def test_the_web_page_script_writes_no_number_of_its_own() -> None:
    script = (ROOT / "bot" / "web" / "static" / "chat.js").read_text(encoding="utf-8")
    assert re.findall(r'"[\d -]{3,}"', script) == []


def test_the_web_page_links_only_numbers_of_crisis_lines_yml() -> None:
    linked = {str(button["text"]) for button in phone_buttons(LINES)}
    assert linked and linked <= VALUES
