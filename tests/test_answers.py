"""Answer composition: the answer first, then one short line naming at most two sources."""

from __future__ import annotations

from bot.core.answers import (
    MORE_PAYLOAD,
    SHOWN_SOURCES,
    answer_more,
    answer_topic,
    answer_unit,
    answer_units,
    more_exhausted,
    no_good_answer,
    no_topic,
    sources_in,
)


def test_a_topic_button_gets_the_summary_and_its_first_two_sources(library):
    topic = library.topic("ask_mechanism")
    reply = answer_topic(topic, [], library)
    assert reply.text.startswith(topic.summary)
    assert reply.text.splitlines()[-1].startswith(library.message("sources_heading"))
    assert reply.sources == topic.sources[:SHOWN_SOURCES]
    for source in topic.sources[:SHOWN_SOURCES]:
        assert f"[{source.title}]({source.url})" in reply.text


def test_a_unit_answer_comes_first_and_ends_with_one_sources_line(library):
    unit = library.unit("spravato_taste")
    reply = answer_unit(unit, library)
    lines = reply.text.splitlines()
    assert reply.text.startswith(unit.answer)
    assert lines[-1].startswith(library.message("sources_heading"))
    assert sum(line.startswith(library.message("sources_heading")) for line in lines) == 1
    assert sources_in(reply.text, library.message("sources_heading")) == [
        {"title": s.title, "url": s.url} for s in unit.sources
    ]


def test_a_unit_answer_offers_its_related_questions_as_buttons(library):
    unit = next(u for u in library.units.values() if u.related)
    reply = answer_unit(unit, library)
    assert [b.title for b in reply.buttons] == [library.unit(r).question for r in unit.related[:3]]
    assert (
        reply.buttons[0].payload
        == f'/{library.unit(unit.related[0]).topic}{{"unit": "{unit.related[0]}"}}'
    )


def test_no_reply_repeats_a_button_in_its_text(library):
    for unit in library.units.values():
        reply = answer_unit(unit, library)
        assert "tell me more" not in reply.text.lower()


def test_a_personal_question_adds_the_provider_line_to_the_facts(library):
    unit = next(u for u in library.units.values() if not u.personal_decision)
    assert library.message("provider_line") not in answer_unit(unit, library).text
    assert library.message("provider_line") in answer_unit(unit, library, personal=True).text


def test_two_units_asked_at_once_get_one_reply_each_and_only_the_last_has_buttons(library):
    first, second = "spravato_taste", "horse_tranquilizer"
    one, two = answer_units([first, second], library)
    assert one.text.startswith(library.unit(first).answer) and not one.buttons
    assert two.text.startswith(library.unit(second).answer)


def test_no_good_answer_is_honest_keeps_the_crisis_line_and_offers_the_closest(library):
    reply = no_good_answer(["spravato_taste", "horse_tranquilizer"], "uk", library)
    assert reply.text.startswith("I don't have a good answer")
    assert "116 123" in reply.text
    assert [b.title for b in reply.buttons] == [
        library.unit("spravato_taste").question,
        library.unit("horse_tranquilizer").question,
    ]


def test_a_question_about_one_side_effect_gets_only_that_section(library):
    topic = library.topic("ask_side_effects")
    nausea = next(s for s in topic.sections if s.value == "nausea")
    dizziness = next(s for s in topic.sections if s.value == "dizziness")
    reply = answer_topic(topic, [("side_effect", "nausea")], library)
    assert nausea.text in reply.text
    assert dizziness.text not in reply.text
    assert topic.summary not in reply.text


def test_an_entity_without_a_section_falls_back_to_the_summary(library):
    topic = library.topic("ask_side_effects")
    reply = answer_topic(topic, [("medication", "ketamine")], library)
    assert reply.text.startswith(topic.summary)


def test_what_is_spravato_gets_the_esketamine_section(library):
    topic = library.topic("ask_what_is_ketamine")
    esketamine = next(s for s in topic.sections if s.value == "esketamine")
    reply = answer_topic(topic, [("medication", "esketamine")], library)
    assert reply.text.startswith(esketamine.text)
    assert topic.summary not in reply.text


def test_asking_about_both_forms_is_the_whole_comparison(library):
    topic = library.topic("ask_esketamine_vs_ketamine")
    both = [("medication", "esketamine"), ("medication", "ketamine")]
    assert answer_topic(topic, both, library).text.startswith(topic.summary)


def test_a_personal_decision_topic_ends_with_the_provider_line(library):
    personal = [t for t in library.topics.values() if t.personal_decision]
    assert personal, "some topic should touch a personal decision"
    for topic in personal:
        assert library.message("provider_line") in answer_topic(topic, [], library).text


def test_answers_offer_tell_me_more_then_follow_ups(library):
    topic = library.topic("ask_side_effects")
    reply = answer_topic(topic, [], library)
    assert reply.buttons[0].payload == MORE_PAYLOAD
    assert [b.payload for b in reply.buttons[1:]] == [f"/{f.intent}" for f in topic.follow_ups]


def test_tell_me_more_gives_the_deeper_layer_with_sources(library):
    topic = library.topic("ask_dependency_risks")
    reply = answer_more(topic, library)
    assert reply.text.startswith(topic.more)
    assert topic.sources[0].url in reply.text
    assert MORE_PAYLOAD not in [b.payload for b in reply.buttons]


def test_more_after_more_names_the_topic_and_suggests_others(library):
    topic = library.topic("ask_cost_access")
    reply = more_exhausted(topic, library)
    assert topic.title.lower() in reply.text
    assert reply.buttons


def test_more_without_a_topic_offers_starter_topics(library):
    reply = no_topic(library)
    assert [b.payload for b in reply.buttons] == [
        f"/{i}" for i in library.messages["starter_topics"]
    ]
