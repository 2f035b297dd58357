"""Properties of the text handling and answer composition, checked on generated input.

Hypothesis generates the input: arbitrary unicode (control characters, surrogates'
neighbours, combining marks, right-to-left scripts, emoji), question-like English
built from the words the splitter looks for, and every (entity, value) pair a
message could carry. None of these needs the trained model.
"""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.core.answers import (
    SHOWN_SOURCES,
    answer_more,
    answer_topic,
    answer_topics,
    more_exhausted,
    no_topic,
)
from bot.core.content import CONTENT_DIR, ENTITY_TYPES, KNOWLEDGE_INTENTS, Library, default_library
from bot.core.crisis.lexicon import allowed_typos, default_detector, normalise
from bot.core.questions import split_questions
from bot.quality.nlu_data import normalise as normalise_example
from bot.quality.nlu_data import plain_text

# The library and the detector are loaded once per process; hypothesis calls the tests
# many times, so fixtures (which it cannot reset between examples) are not used.
LIBRARY: Library = default_library()
DETECTOR = default_detector()
PHRASES: list[str] = [
    phrase
    for phrases in yaml.safe_load((CONTENT_DIR / "crisis_lexicon.yml").read_text())[
        "kinds"
    ].values()
    for phrase in phrases
]
JOINERS = {"and", "also", "plus", "then"}
TEXT_SETTINGS = settings(max_examples=300, deadline=None)

any_text = st.text(max_size=200)
# Words the splitter reacts to, mixed with ordinary ones and with its separators.
question_words = st.sampled_from(
    "what how when is are does can any tell and also plus then ketamine side effects "
    "nausea cost it long last safe".split()
)
separators = st.sampled_from([" ", " ", " ", "  ", ", ", "? ", "; ", "?", " ?? ", "\t", "\n"])
questionish = st.lists(st.tuples(question_words, separators), max_size=25).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)
mixed_text = st.one_of(any_text, questionish)


def words(text: str) -> list[str]:
    """The words of ``text`` as the splitter keeps them: ``?`` and ``;`` end words too."""
    return [w.strip(",.") for w in re.split(r"[\s?;]+", text) if w.strip(",.")]


def random_case(text: str, flips: list[bool]) -> str:
    """``text`` with the case of each ASCII letter flipped where ``flips`` says so."""
    return "".join(
        c.swapcase() if c.isascii() and flips[i % len(flips)] else c for i, c in enumerate(text)
    )


# --- splitting two-part questions -----------------------------------------------------


@TEXT_SETTINGS
@given(mixed_text)
@example("")
@example("   ")
@example("\t")
@example("?")
@example(" ,.; ")
def test_splitting_never_returns_an_empty_or_blank_part(text: str) -> None:
    parts = split_questions(text)
    if words(text):
        assert parts and all(part.strip() for part in parts)
    else:  # nothing but whitespace and punctuation: no question at all
        assert parts == []


@TEXT_SETTINGS
@given(mixed_text)
@example("what are the side effects and how long do they last")
@example("is it safe and what")
def test_splitting_never_loses_words_only_the_joiners_between_questions(text: str) -> None:
    parts = split_questions(text)
    kept = [w for part in parts for w in words(part)]
    original = words(text)
    # Every word kept is from the text, in the text's order ...
    position = 0
    for word in kept:
        assert word in original[position:], f"{word!r} is not in {original[position:]}"
        position = original.index(word, position) + 1
    # ... and every word of the text is kept, except an "and" (also, plus, then) that
    # joined two questions.
    dropped = list(original)
    for word in kept:
        dropped.remove(word)
    assert {w.lower() for w in dropped} <= JOINERS, dropped


@TEXT_SETTINGS
@given(mixed_text)
@example("what\t")
@example("\u3000what is it ;\xa0")
def test_a_part_never_starts_or_ends_with_whitespace_or_a_separator(text: str) -> None:
    for part in split_questions(text):
        assert not re.match(r"[\s,.;?]", part[0]) and not re.match(r"[\s,.;?]", part[-1])


@TEXT_SETTINGS
@given(st.lists(st.sampled_from(["ketamine", "side", "effects", "nausea", "cost"]), min_size=1))
def test_a_message_without_a_question_mark_or_joiner_is_one_question(tokens: list[str]) -> None:
    text = " ".join(tokens)
    assert split_questions(text) == [text]


# --- crisis detection -------------------------------------------------------------------


@TEXT_SETTINGS
@given(any_text)
@example("\x00\x01\x1b[31m\ufeff\u200b\u202e")
@example("\ud7ff\ue000\uffff\U0010ffff")
@example("ß ﬁ İ ǅ Ⅻ ㈱ ½ ⁹")
def test_crisis_detection_never_raises_on_any_unicode(text: str) -> None:
    assert DETECTOR.is_crisis(text) in (True, False)


@TEXT_SETTINGS
@given(any_text, st.lists(st.booleans(), min_size=1, max_size=8))
@example("kill myselfß", [False])  # upper case made it "MYSELFSS", two edits away
def test_crisis_detection_ignores_letter_case(text: str, flips: list[bool]) -> None:
    assert DETECTOR.is_crisis(random_case(text, flips)) == DETECTOR.is_crisis(text)
    assert DETECTOR.is_crisis(text.upper()) == DETECTOR.is_crisis(text.lower())


@TEXT_SETTINGS
@given(
    st.sampled_from(PHRASES),
    st.lists(st.booleans(), min_size=1, max_size=8),
    st.text(max_size=40),
    st.text(max_size=40),
)
def test_every_lexicon_phrase_is_found_in_any_case_and_any_company(
    phrase: str, flips: list[bool], before: str, after: str
) -> None:
    text = f"{before} {random_case(phrase, flips)}. {after}"
    assert DETECTOR.is_crisis(text), text


@TEXT_SETTINGS
@given(any_text)
def test_normalise_is_idempotent_and_leaves_only_lower_case_words(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert re.fullmatch(r"(?:[a-z0-9ñ]+(?: [a-z0-9ñ]+)*)?", once), once


@TEXT_SETTINGS
@given(st.integers(min_value=0, max_value=200))
def test_longer_phrases_never_allow_fewer_typos(length: int) -> None:
    assert 0 <= allowed_typos(length) <= allowed_typos(length + 1) <= 2


# --- NLU data helpers -------------------------------------------------------------------


@TEXT_SETTINGS
@given(any_text)
def test_example_normalise_is_idempotent(text: str) -> None:
    once = normalise_example(text)
    assert normalise_example(once) == once
    assert once == once.strip() and "  " not in once


@TEXT_SETTINGS
@given(
    st.text(alphabet=st.characters(blacklist_characters="[](){}"), min_size=1, max_size=30),
    st.sampled_from(ENTITY_TYPES),
)
def test_plain_text_removes_an_annotation_and_keeps_its_words(word: str, entity: str) -> None:
    assume(word.strip())
    for annotated in (f"[{word}]({entity})", f'[{word}]{{"entity": "{entity}"}}'):
        assert plain_text(f"does it {annotated} you") == f"does it {word} you"


@TEXT_SETTINGS
@given(st.text(alphabet=st.characters(blacklist_characters="[]")))
def test_plain_text_leaves_text_without_annotations_alone(text: str) -> None:
    assert plain_text(text) == text.strip()


# --- answers ----------------------------------------------------------------------------

known_values = sorted(
    {(s.entity, s.value) for t in LIBRARY.topics.values() for s in t.sections}
    | {(e, "anything") for e in ENTITY_TYPES}
)
entity_pairs = st.lists(
    st.one_of(
        st.sampled_from(known_values),
        st.tuples(st.sampled_from(ENTITY_TYPES), st.text(max_size=20)),
        st.tuples(st.text(max_size=12), st.text(max_size=12)),
    ),
    max_size=8,
)
intents = st.sampled_from(KNOWLEDGE_INTENTS)


def assert_cited(text: str, intent: str) -> None:
    topic = LIBRARY.topics[intent]
    assert text.strip()
    assert LIBRARY.message("sources_heading") in text
    for source in topic.sources[:SHOWN_SOURCES]:
        assert source.url in text
    if topic.personal_decision:
        assert LIBRARY.message("provider_line") in text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intents, entity_pairs)
def test_any_intent_with_any_entities_gets_a_cited_answer(
    intent: str, entities: list[tuple[str, str]]
) -> None:
    topic = LIBRARY.topics[intent]
    reply = answer_topic(topic, entities, LIBRARY)
    assert_cited(reply.text, intent)
    body = reply.text.split(LIBRARY.message("sources_heading"))[0]
    sections = topic.sections_for(entities)
    if sections:  # the sections asked about, in content order
        assert all(s.text in body for s in sections)
        assert [s for s in topic.sections if s in sections] == list(sections)
    else:
        assert topic.summary in body
    assert reply.buttons and reply.buttons[0].payload == "/ask_more"


@TEXT_SETTINGS
@given(st.lists(intents, min_size=1, max_size=4), entity_pairs)
def test_several_topics_get_one_cited_answer_each_and_only_the_last_has_buttons(
    asked: list[str], entities: list[tuple[str, str]]
) -> None:
    replies = answer_topics([LIBRARY.topics[i] for i in asked], entities, LIBRARY)
    assert len(replies) == len(asked)
    for reply, intent in zip(replies, asked, strict=True):
        assert_cited(reply.text, intent)
    assert all(not r.buttons for r in replies[:-1]) and replies[-1].buttons


@pytest.mark.parametrize("intent", KNOWLEDGE_INTENTS)
def test_tell_me_more_and_nothing_more_are_never_empty(intent: str) -> None:
    topic = LIBRARY.topics[intent]
    assert_cited(answer_more(topic, LIBRARY).text, intent)
    exhausted = more_exhausted(topic, LIBRARY).text
    assert exhausted.strip() and "{" not in exhausted
    assert all(b.payload.lstrip("/") in LIBRARY.topics for b in no_topic(LIBRARY).buttons)
