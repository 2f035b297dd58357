"""UK and Canadian readers never get an answer that holds only in the US."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.core.answers import answer_more, answer_topic, answer_unit
from bot.core.content import OTHER_REGIONS, ContentError, Library, _parse_units
from bot.core.crisis_lines import default_lines
from bot.quality.content_gates import (
    load_policy,
    readability_failures,
    source_failures,
    unit_failures,
    wording_failures,
)
from bot.quality.patient_texts import unit_texts
from tests.servers import say
from tools.stack import started

COST = "cost_spravato"


def us_only(library: Library, region: str) -> list[str]:
    """The units whose answer does not hold in ``region``."""
    return [u.id for u in library.units.values() if region in u.country_specific]


@pytest.mark.parametrize("region", OTHER_REGIONS)
def test_the_answers_about_access_and_payment_are_marked_as_us_only(
    library: Library, region: str
) -> None:
    marked = set(us_only(library, region))
    assert {"cost_access_overview", "where_to_get_spravato", "cost_spravato"} <= marked
    assert "nausea_and_vomiting" not in marked


@pytest.mark.parametrize("region", OTHER_REGIONS)
def test_no_us_only_answer_reaches_a_reader_elsewhere(library: Library, region: str) -> None:
    regional = library.for_region(region)
    for key in us_only(library, region):
        assert regional.units[key].answer != library.units[key].answer, key


@pytest.mark.parametrize("region", OTHER_REGIONS)
def test_a_us_only_topic_is_told_by_its_overview_there(library: Library, region: str) -> None:
    regional = library.for_region(region)
    for topic in library.topics.values():
        if region not in library.units[topic.overview_unit].country_specific:
            continue
        told = regional.topics[topic.intent]
        overview = regional.units[topic.overview_unit]
        assert told.summary == overview.answer
        assert topic.summary not in answer_topic(told, [], regional).text
        assert answer_more(told, regional).text.startswith("That is all I have")


@pytest.mark.parametrize("region", OTHER_REGIONS)
def test_no_related_question_leads_to_an_answer_missing_there(
    library: Library, region: str
) -> None:
    regional = library.for_region(region)
    elsewhere = regional.messages["no_local_answer"][region]
    for unit in regional.units.values():
        assert all(regional.units[r].answer != elsewhere for r in unit.related), unit.id


@pytest.mark.parametrize("region", OTHER_REGIONS)
def test_without_a_variant_the_reader_is_told_the_answer_is_for_the_us(
    library: Library, region: str
) -> None:
    unit = dataclasses.replace(library.units[COST], regional=())
    regional = dataclasses.replace(library, units={COST: unit}).for_region(region)
    reply = answer_unit(regional.units[COST], regional)
    assert reply.text.startswith("I only have information on how this works in the United States")
    assert reply.sources == ()
    assert library.message("sources_heading") not in reply.text


@pytest.mark.parametrize("region", OTHER_REGIONS)
def test_no_answer_there_ties_its_crisis_line_to_the_us(library: Library, region: str) -> None:
    line = default_lines()[region].lines["crisis"]
    tied = [
        unit.id
        for unit in library.for_region(region).units.values()
        if line in unit.answer and "U.S." in unit.answer.split(line, 1)[1][:40]
    ]
    assert tied == []


def test_answers_that_hold_everywhere_are_the_same_everywhere(library: Library) -> None:
    for region in OTHER_REGIONS:
        assert (
            library.for_region(region).units["nausea_and_vomiting"]
            is library.units["nausea_and_vomiting"]
        )


@pytest.mark.parametrize("region", ["us", None, "fr"])
def test_the_us_or_an_unknown_region_reads_the_answers_as_written(
    library: Library, region: str | None
) -> None:
    assert library.for_region(region) is library


@pytest.mark.parametrize("region", OTHER_REGIONS)
def test_the_regional_answers_pass_the_same_gates(library: Library, region: str) -> None:
    policy = load_policy()
    regional = library.for_region(region)
    own = {key: regional.units[key] for key in us_only(library, region)}
    own = {key: unit for key, unit in own.items() if unit.sources}
    texts = [t for u in own.values() for t in unit_texts(u)]
    assert readability_failures(texts, policy) == []
    assert wording_failures(texts, policy.forbidden) == []
    checked = dataclasses.replace(regional, units=own, topics={})
    assert source_failures(checked, policy.publishers) == []
    assert unit_failures(checked, policy.max_answer_words) == []


def test_a_variant_needs_its_region_marked_country_specific() -> None:
    source = {"publisher": "P", "title": "T", "url": "https://example.org/uk"}
    unit = {
        "id": "x",
        "question": "Q?",
        "examples": ["a", "b"],
        "answer": "A.",
        "sources": [{"publisher": "P", "title": "T", "url": "https://example.org"}],
        "last_reviewed": "2026-11-28",
        "reviewed_by": "content editor",
        "country_specific": ["ca"],
        "regions": {"uk": {"answer": "B.", "sources": [source]}},
    }
    with pytest.raises(ContentError, match="only for regions listed in country_specific"):
        _parse_units({"topic": "ask_cost_access", "units": [unit]}, "x.yml")


@pytest.mark.model
def test_over_rest_a_uk_reader_gets_the_uk_answer(tmp_path: Path, library: Library) -> None:
    uk = library.for_region("uk").units[COST]
    with started(tmp_path, {"ASSISTANT_REGION": "uk"}) as stack:
        url = stack.url
        reply = " ".join(say(url, "uk-1", "how much does spravato cost?"))
    assert " ".join(uk.answer.split()[:8]) in reply
    assert " ".join(library.units[COST].answer.split()[:8]) not in reply
