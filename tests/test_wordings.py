"""Training wordings for answer retrieval: every unit has them, and bad files are refused."""

from __future__ import annotations

import pytest

from bot.core.content import ContentError
from bot.core.wordings import Wordings, load_wordings

MIN_WORDINGS = 6


def test_every_unit_has_training_wordings(library):
    wordings = load_wordings(library)
    thin = [u for u in library.units if len(wordings.of(u)) < MIN_WORDINGS]
    assert thin == []


def test_there_are_questions_that_no_unit_answers(library):
    assert len(load_wordings(library).none) >= 200


def test_no_training_wording_repeats_a_unit_question_or_example(library):
    shown = {t.lower() for unit in library.units.values() for t in unit.texts}
    assert [t for t in load_wordings(library).texts() if t.lower() in shown] == []


def test_a_unit_that_does_not_exist_is_refused(library, tmp_path):
    (tmp_path / "ask_side_effects.yml").write_text(
        "topic: ask_side_effects\nwordings:\n  no_such_unit: [a question]\n"
    )
    with pytest.raises(ContentError, match="no_such_unit"):
        load_wordings(library, tmp_path)


def test_a_unit_filed_under_another_topic_is_refused(library, tmp_path):
    (tmp_path / "ask_benefits.yml").write_text(
        "topic: ask_benefits\nwordings:\n  spravato_taste: [a question]\n"
    )
    with pytest.raises(ContentError, match="spravato_taste"):
        load_wordings(library, tmp_path)


def test_an_empty_wording_is_refused(library, tmp_path):
    (tmp_path / "none.yml").write_text("questions: ['  ']\n")
    with pytest.raises(ContentError, match=r"none\.yml"):
        load_wordings(library, tmp_path)


def test_no_files_means_no_extra_wordings(library, tmp_path):
    assert load_wordings(library, tmp_path) == Wordings()
