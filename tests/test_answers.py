"""Answer composition: the right part of a topic, always with its sources."""

from __future__ import annotations

from bot.answers import MORE_PAYLOAD, answer_more, answer_topic, more_exhausted, no_topic


def test_a_plain_question_gets_the_summary_and_sources(library):
    topic = library.topic("ask_mechanism")
    reply = answer_topic(topic, [], library)
    assert reply.text.startswith(topic.summary)
    assert library.message("sources_heading") in reply.text
    for source in topic.sources:
        assert source.url in reply.text


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
