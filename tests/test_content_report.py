"""The content report shows every patient text with its scores, escaped and self-contained."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from pathlib import Path

import pytest

from bot.core.content import Library, Source
from tools.content_report import build_report, load_inputs, main, write_report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def inputs():
    return load_inputs(ROOT, today=dt.date(2026, 12, 1))


@pytest.fixture(scope="module")
def page(inputs, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("report") / "content-report.html"
    write_report(out, inputs)
    return out.read_text(encoding="utf-8")


def _planted(inputs, **changes):
    topic = dataclasses.replace(inputs.library.topics["ask_mechanism"], **changes)
    library = Library({**inputs.library.topics, "ask_mechanism": topic}, inputs.library.messages)
    return dataclasses.replace(inputs, library=library)


def test_the_report_is_one_page_without_scripts_or_external_files(page):
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    assert "<script" not in page
    assert 'rel="stylesheet"' not in page


def test_the_summary_counts_topics_and_gates(page):
    assert "<b>12</b>topics" in page
    assert "<b>11/11</b>gates passing" in page


def test_every_topic_text_appears_as_the_patient_sees_it(page, inputs):
    for topic in inputs.library.topics.values():
        assert html.escape(topic.title) in page
        assert html.escape(topic.summary) in page
        assert html.escape(topic.more) in page
        for section in topic.sections:
            assert html.escape(section.text) in page


def test_every_answer_unit_appears_under_its_topic_as_the_patient_sees_it(page, inputs):
    for unit in inputs.library.units.values():
        assert html.escape(unit.answer) in page
        assert html.escape(unit.question) in page
    assert page.index('id="ask_mechanism"') < page.index('id="mechanism_overview"')


def test_each_text_shows_its_grade_and_reading_ease(page):
    assert "ask_side_effects.yml sections[nausea]</span>" in page
    assert 'class="badge pass">grade ' in page
    assert 'class="badge pass">ease ' in page


def test_sources_are_links(page, inputs):
    source = inputs.library.topics["ask_mechanism"].sources[0]
    assert f'<a href="{html.escape(source.url, quote=True)}">' in page


def test_review_date_age_and_role_are_shown(page, inputs):
    topic = inputs.library.topics["ask_mechanism"]
    age = (dt.date(2026, 12, 1) - topic.last_reviewed).days
    assert f"Last reviewed {topic.last_reviewed}, {age} days ago" in page
    assert html.escape(topic.reviewed_by) in page


def test_training_intents_and_entity_values_leading_to_a_topic_are_counted(page, inputs):
    intent_examples = sum(1 for _, i in inputs.examples if i == "ask_side_effects")
    assert f"<code>ask_side_effects</code>: {intent_examples} training examples" in page
    assert "side_effect = nausea" in page


def test_domain_responses_and_messages_are_scored(page):
    assert "domain.yml utter_crisis[1] (region=uk)" in page
    assert "messages.yml disclaimer[uk]" in page
    assert "116 123" in page


def test_content_text_is_escaped(inputs):
    page = build_report(_planted(inputs, summary='<script>alert("x")</script> & more'))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in page


def test_a_url_that_is_not_https_is_not_a_link(inputs):
    bad = Source("Molecular Psychiatry", "T", "javascript:alert(1)")
    page = build_report(_planted(inputs, sources=(bad,)))
    assert 'href="javascript' not in page


def test_a_failing_gate_is_listed_in_the_summary(inputs):
    page = build_report(_planted(inputs, last_reviewed=dt.date(2024, 1, 1)))
    assert "<b>10/11</b>gates passing" in page
    assert "ask_mechanism.yml last_reviewed: 2024-01-01 is" in page
    assert 'class="badge fail">stale' in page


def test_the_command_writes_the_file_it_is_given(tmp_path, capsys):
    out = tmp_path / "nested" / "report.html"
    main(["--out", str(out), "--today", "2026-12-01"])
    assert out.is_file()
    assert str(out) in capsys.readouterr().out
