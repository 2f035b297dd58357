"""The crisis lexicon catches danger phrases, typos included, and leaves topic questions alone."""

from __future__ import annotations

import pytest

from bot.core.crisis.lexicon import CrisisDetector, allowed_typos, default_detector, normalise


@pytest.mark.parametrize(
    "text",
    [
        "I want to kill myself",
        "i want to kil myself",
        "thinking of killing my self tonight",
        "ketamine didn't work and I want to end it all",
        "Everyone would be better off without me.",
        "honestly I don't see the point anymore",
        "im suicidel",
        "im to suicidal to work",
        "I took all my pills",
        "quiero morir",
    ],
)
def test_danger_phrases_are_crisis(text):
    assert default_detector().is_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "does ketamine help with suicidal thoughts?",
        "what are the side effects",
        "I want to diet while on spravato",
        "can you overdose on ketamine",
        "how long does a session last",
    ],
)
def test_topic_questions_are_not_crisis(text):
    assert not default_detector().is_crisis(text)


def test_normalise_drops_case_apostrophes_and_punctuation():
    assert normalise("I DON'T   see—the point!!") == "i dont see the point"


def test_short_phrases_must_match_exactly():
    assert allowed_typos(len("wanttodie")) == 0
    assert allowed_typos(len("killmyself")) == 1


def test_a_detector_reports_the_phrase_it_found():
    detector = CrisisDetector(["end my life"])
    assert detector.find("i will END my life") == "end my life"
    assert detector.find("end of my life insurance") is None


@pytest.mark.parametrize(
    "text",
    [
        "six months with no suicidal thoughts",  # not "so suicidal"
        "im overdoing it at work",  # not "im overdosing"
        "the heaviness lifted and i can breathe easier",  # not "cant breathe"
        "im scared itll make her suicidal",  # not "hes suicidal"
        "worst heartache of my life since she left",  # not "worst headache of my life"
        "my dad says he wants to diet before he starts ketamine",  # not "wants to die"
        "she wants to dye her hair after treatment",
    ],
)
def test_a_near_match_that_changes_the_sense_is_not_a_typo(text):
    assert default_detector().find(text) is None


def test_a_saying_is_not_danger_but_the_rest_of_the_message_is_still_read():
    sayings = ["shot myself in the foot", "shoot myself in the foot"]
    detector = CrisisDetector(["shoot myself", "want to die"], idioms=sayings)
    assert detector.find("shot myself in the foot by missing my session") is None
    assert detector.find("shot myself in the foot again, i want to die") == "want to die"
    assert detector.find("i shot myself") == "shoot myself"
    assert list(detector.find_all("didnt shoot myself in the foot i want to die")) == [
        ("want to die", ["i"])
    ]


def test_the_lexicons_sayings_leave_its_phrases_alone():
    assert default_detector().find("i nearly killed myself laughing at the nurse") is None
    assert default_detector().find("im going to kill myself tonight") == "kill myself"


@pytest.mark.parametrize(
    "text",
    ["a fast drop in suicidal ideation after a dose", "do ERs give it to suicidal patients?"],
)
def test_suicidal_after_a_preposition_names_a_topic(text):
    assert default_detector().find(text) is None


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("in suicidal and i have a plan", "im suicidal"),
        ("how do you talk to suicidal people when youre one", "so suicidal"),
    ],
)
def test_a_typo_outside_the_topic_sayings_is_still_found(text, phrase):
    assert default_detector().find(text) == phrase


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("gonna ctb this weekend", "ctb"), ("i want to unalive myself", "unalive myself")],
)
def test_online_slang_for_suicide_is_danger(text, phrase):
    assert default_detector().find(text) == phrase


def test_unalive_about_something_else_is_not_danger():
    assert default_detector().find("tried to unalive a spider in my bathroom") is None


def test_too_suicidal_is_danger():
    assert default_detector().find("i feel too suicidal to go to my infusion") == "too suicidal"


def test_one_negation_may_stand_for_another():
    assert default_detector().find("he doesnt want to be alive anymore") == "dont want to be alive"


def test_normalise_reads_written_out_forms_as_short_forms():
    assert normalise("I am sure I do not know any more") == "im sure i dont know anymore"


def test_written_out_forms_meet_the_short_forms_of_the_phrases():
    found = default_detector().find("I do not want to be here any longer")
    assert found == "dont want to be here anymore"


def test_a_near_match_must_not_drop_the_phrases_last_word():
    assert default_detector().find("i dont want to wake anything up") is None


def test_a_real_word_near_a_one_word_phrase_is_not_a_typo():
    assert default_detector().find("make sure the clinic isnt overdoing it") is None


def test_no_two_lexicon_phrases_read_the_same():
    read = [normalise(phrase) for phrase in default_detector().kinds]
    assert len(read) == len(set(read))


@pytest.mark.parametrize(
    "text",
    [
        "cnt breathe",
        "i dont wnat to be alive",
        "i want to kilmyself",
        "took to many pills",
        "my brother is ovrdosing",
        "iam suicidal",
        "i dont think i will make it thru the night",
    ],
)
def test_common_typos_still_match(text):
    assert default_detector().is_crisis(text)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("my husband wants to die and i dont know what to do", "wants to die"),
        ("her lips look blue and shes barely moving", "lips look blue"),
        ("he isn't responding when I shake him", "isnt responding when i shake"),
        ("mi esposo no respira", "no respira"),
        (
            "a pupil told me shes been thinking about killing herself",
            "thinking about killing herself",
        ),
        ("crushing chest pain since my infusion", "crushing chest pain"),
        ("since the spray one side of her face is drooping", "face is drooping"),
        ("i overdosed on coffee and caffeine pills and my heart is racing", "i overdosed"),
        ("my friend just said she swallowed all her pills", "swallowed all her"),
    ],
)
def test_danger_happening_now_is_found(text, phrase):
    assert default_detector().find(text) == phrase


@pytest.mark.parametrize(
    "text",
    [
        "is it possible to go under with ketamine and not wake up?",  # a fear of sedation
        "red wine always leaves my lips purple",
        "alexa is not responding to voice commands so im typing here",
        "mi hijo no respira bien por la nariz, esta resfriado",  # a stuffy nose
        "he picks fights over nothing, he wants to die on every hill",
        "my sister is killing herself at that job, she works 70 hours a week",
        "my therapist had me write a goodbye letter to my old self",
        "my left arm is tingling where the iv is",
        "my left arm is numb from the blood pressure cuff",
        "i swallowed all this drip in my throat after the spray",
        "my son swallowed all his pride and asked for help",
    ],
)
def test_everyday_words_near_a_danger_phrase_are_not_danger(text):
    assert default_detector().find(text) is None
