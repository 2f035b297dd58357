"""Answer quality on the question sets: kept out of training, and a floor on the held-out sets.

The full comparison with other systems is ``make bench-answers``; this keeps a floor so
a regression fails CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.answer_selection import Settings
from bot.core.wordings import load_wordings
from bot.quality.nlu_data import normalise, training_examples
from tools.answer_eval import DEV_SETS, read_questions, score, set_paths
from tools.bench_answers import project_outcome
from tools.rasa_agent import parse_texts

ROOT = Path(__file__).resolve().parents[1]
SETS = set_paths(ROOT)
HELD_OUT = [name for name in SETS if name not in DEV_SETS]
# Below the lowest first measurements on the held-out sets (hit@1 0.585 on ongoing) and
# above the most wrong answers on them in two trainings with the wordings of session 16
# (up to 0.143 on answers_d and 0.142 on ongoing; webchat, 0.121 and 0.155, has its own):
# each training from scratch tunes the encoder anew, which moves a set by up to 3
# points. A floor against regressions, not the target (docs/answers.md).
HIT_AT_1_FLOOR = 0.55
WRONG_CEILING = 0.16
WRONG_CEILING_OF = {"webchat": 0.18}


@pytest.mark.parametrize("name", list(SETS))
def test_no_question_is_in_the_training_data_or_the_units(name, library):
    seen = {normalise(text) for text, _ in training_examples(ROOT)}
    seen |= {normalise(t) for unit in library.units.values() for t in unit.texts}
    seen |= {normalise(t) for t in load_wordings(library).texts()}
    overlap = [q.text for q in read_questions(SETS[name]) if normalise(q.text) in seen]
    assert overlap == []


@pytest.mark.parametrize("name", list(SETS))
def test_every_label_names_a_unit_that_exists(name, library):
    for question in read_questions(SETS[name]):
        assert all(library.unit(u) for u in question.units), question


def test_there_are_at_least_400_questions_written_blind():
    assert sum(len(read_questions(path)) for path in SETS.values()) >= 400


def test_some_sets_are_held_out_from_choosing_the_settings():
    assert HELD_OUT


@pytest.fixture(scope="module")
def results(library, agent):
    topics = library.unit_topics
    out = {}
    for name in HELD_OUT:
        questions = read_questions(SETS[name])
        parses = parse_texts(agent, [q.text for q in questions])
        out[name] = score(
            questions, [project_outcome(p, 0.0, topics, Settings()) for p, _ in parses]
        )
    return out


@pytest.mark.model
@pytest.mark.parametrize("name", HELD_OUT)
def test_most_answerable_held_out_questions_get_a_right_answer_first(results, name):
    assert results[name]["hit@1"] >= HIT_AT_1_FLOOR, results[name]


@pytest.mark.model
@pytest.mark.parametrize("name", HELD_OUT)
def test_wrong_answers_stay_rare_on_held_out_questions(results, name):
    assert results[name]["wrong"] <= WRONG_CEILING_OF.get(name, WRONG_CEILING), results[name]
