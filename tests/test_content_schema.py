"""The curated content and the domain fit together: nothing missing, nothing dangling."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from bot.core.content import DOMAIN_INTENTS, KNOWLEDGE_INTENTS, ContentError, load_library

ROOT = Path(__file__).resolve().parents[1]


def test_domain_declares_exactly_the_contract_intents(domain):
    assert set(domain["intents"]) == set(DOMAIN_INTENTS)


@pytest.mark.parametrize("intent", KNOWLEDGE_INTENTS)
def test_every_knowledge_intent_has_a_cited_reviewed_topic(library, intent):
    topic = library.topic(intent)
    assert topic is not None
    assert topic.summary and topic.more
    assert topic.sources, f"{intent} cites no source"
    for source in topic.sources:
        assert source.publisher and source.title
        assert source.url.startswith("https://")
    assert topic.last_reviewed <= dt.date.today()
    assert topic.reviewed_by


def test_every_follow_up_button_leads_to_a_topic(library):
    for topic in library.topics.values():
        for follow_up in topic.follow_ups:
            assert follow_up.intent in library.topics, (topic.intent, follow_up.intent)


def _referenced_actions() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "data" / "stories").glob("*.yml"):
        names |= set(re.findall(r"action:\s*(\w+)", path.read_text(encoding="utf-8")))
    return names


def test_every_action_in_rules_and_stories_exists_in_the_domain(domain):
    known = set(domain["responses"]) | set(domain["actions"])
    assert _referenced_actions() - known == set()


def test_every_button_payload_in_the_domain_is_an_intent(domain):
    for name, variations in domain["responses"].items():
        for variation in variations:
            for button in variation.get("buttons", []):
                assert button["payload"].lstrip("/") in domain["intents"], name


def test_every_custom_action_is_implemented():
    from rasa_sdk import Action

    import actions.actions as module

    actions = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Action)]
    implemented = {a().name() for a in actions if a is not Action}
    domain_actions = set(yaml.safe_load((ROOT / "domain.yml").read_text())["actions"])
    assert domain_actions == implemented


def test_loader_rejects_a_topic_without_sources(tmp_path):
    topics = tmp_path / "topics"
    topics.mkdir()
    (tmp_path / "messages.yml").write_text("more_offer: x\n")
    for intent in KNOWLEDGE_INTENTS:
        (topics / f"{intent}.yml").write_text(
            yaml.safe_dump(
                {
                    "intent": intent,
                    "title": "T",
                    "summary": "S.",
                    "more": "M.",
                    "last_reviewed": "2026-01-01",
                    "reviewed_by": "pharmacist",
                    "sources": [{"publisher": "P", "title": "T", "url": "https://x.test"}],
                }
            )
        )
    load_library(tmp_path)  # the fixture itself is valid
    broken = yaml.safe_load((topics / "ask_mechanism.yml").read_text())
    del broken["sources"]
    (topics / "ask_mechanism.yml").write_text(yaml.safe_dump(broken))
    with pytest.raises(
        ContentError, match=re.escape("ask_mechanism.yml: missing or empty 'sources'")
    ):
        load_library(tmp_path)


def test_loader_rejects_a_plain_http_source(tmp_path):
    topics = tmp_path / "topics"
    topics.mkdir()
    (topics / "ask_mechanism.yml").write_text(
        "intent: ask_mechanism\ntitle: T\nsummary: S\nmore: M\nlast_reviewed: 2026-01-01\n"
        "reviewed_by: nurse\nsources:\n- {publisher: P, title: T, url: 'http://x.test'}\n"
    )
    with pytest.raises(ContentError, match="https"):
        load_library(tmp_path)
