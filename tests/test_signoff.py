"""Clinician sign-off: an answer edited after it was signed off cannot pass unnoticed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.core.content import CONTENT_DIR, Library, Source, load_library
from bot.core.signoff import (
    SIGNOFF_FILE,
    Record,
    mark_pending,
    problems,
    read_records,
    sign_off,
    status,
    unit_answer,
)
from tools.signoff import changes, main

DAY = dt.date(2026, 11, 29)
UNIT = "nausea_and_vomiting"


def test_every_answer_has_a_record_and_no_signed_answer_changed() -> None:
    assert problems(load_library(), read_records(SIGNOFF_FILE)) == []


def test_the_records_hold_roles_never_names(library: Library) -> None:
    roles = {r.role for r in read_records(SIGNOFF_FILE).values() if r.role}
    assert roles <= {"psychiatrist", "pharmacist", "nurse", "patient educator"}


def test_a_signed_answer_is_signed_until_its_text_changes(library: Library) -> None:
    records = sign_off(library, {}, [UNIT], "psychiatrist", DAY)
    unit = library.unit(UNIT)
    assert unit is not None
    assert status(unit_answer(unit), records[UNIT]) == "signed"
    edited = dataclasses.replace(unit, answer=unit.answer + " Drink water.")
    assert status(unit_answer(edited), records[UNIT]) == "changed"


def test_a_changed_source_counts_as_a_change(library: Library) -> None:
    records = sign_off(library, {}, [UNIT], "psychiatrist", DAY)
    unit = library.unit(UNIT)
    assert unit is not None
    moved = Source(unit.sources[0].publisher, unit.sources[0].title, "https://example.org/x")
    edited = dataclasses.replace(unit, sources=(moved, *unit.sources[1:]))
    assert status(unit_answer(edited), records[UNIT]) == "changed"


def test_adding_or_dropping_the_provider_line_counts_as_a_change(library: Library) -> None:
    records = sign_off(library, {}, [UNIT], "psychiatrist", DAY)
    unit = library.unit(UNIT)
    assert unit is not None
    edited = dataclasses.replace(unit, personal_decision=not unit.personal_decision)
    assert status(unit_answer(edited), records[UNIT]) == "changed"


def test_marking_pending_keeps_the_last_sign_off_for_the_packet(library: Library) -> None:
    signed = sign_off(library, {}, [UNIT], "nurse", DAY)
    pending = mark_pending(library, signed, [UNIT])
    assert pending[UNIT] == dataclasses.replace(signed[UNIT], pending=True)


def test_an_answer_without_a_record_is_named(library: Library) -> None:
    records = {key: Record() for key in ("topic:ask_side_effects",)}
    found = problems(library, records)
    assert any(line.startswith(f"{UNIT}: no sign-off record") for line in found)


def test_the_changes_strike_out_old_words_and_mark_new_ones() -> None:
    html = changes("Take it <slowly> today.", "Take it <slowly> tomorrow.")
    assert html == "Take it &lt;slowly&gt; <del>today.</del> <ins>tomorrow.</ins>"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the content, every answer pending, to edit and sign off."""
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    return folder


def edit_answer(content: Path, old: str, new: str) -> None:
    path = content / "answers" / "ask_side_effects.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_edit_fails_the_check_until_signed_off_again(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = ["--content", str(content)]
    assert main([*cli, "sign", "--role", "psychiatrist", UNIT]) == 0
    assert main([*cli, "check"]) == 0

    edit_answer(content, "Nausea is one of the most common", "Nausea is among the most common")
    assert main([*cli, "check"]) == 1
    assert f"{UNIT}: changed after its sign-off by psychiatrist" in capsys.readouterr().out

    out = content / "packet.html"
    assert main([*cli, "packet", "--out", str(out)]) == 0
    packet = out.read_text(encoding="utf-8")
    assert "<del>one of</del> <ins>among</ins>" in packet
    assert f'id="{UNIT}"' in packet

    assert main([*cli, "sign", "--role", "psychiatrist", UNIT]) == 0
    assert main([*cli, "check"]) == 0
    main([*cli, "packet", "--out", str(out)])
    assert f'id="{UNIT}"' not in out.read_text(encoding="utf-8")


def test_marking_an_edited_answer_pending_passes_the_check(content: Path) -> None:
    cli = ["--content", str(content)]
    main([*cli, "sign", "--role", "pharmacist", UNIT])
    edit_answer(content, "Nausea is one of the most common", "Nausea is among the most common")
    assert main([*cli, "pending", UNIT]) == 0
    assert main([*cli, "check"]) == 0
    assert read_records(content / SIGNOFF_FILE.name)[UNIT].pending


def test_a_name_is_refused_as_a_role(content: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--content", str(content), "sign", "--role", "Dr Jane Smith", UNIT]) == 2
    assert "is not one of" in capsys.readouterr().err


def test_the_packet_says_which_answers_end_with_the_provider_line(
    content: Path, library: Library
) -> None:
    personal = next(u for u in library.units.values() if u.personal_decision)
    out = content / "packet.html"
    main(["--content", str(content), "packet", "--out", str(out)])
    packet = out.read_text(encoding="utf-8")
    card = packet.split(f'id="{personal.id}"', 1)[1].split("</section>", 1)[0]
    assert "talk to your care team" in card
    plain = packet.split(f'id="{UNIT}"', 1)[1].split("</section>", 1)[0]
    assert "talk to your care team" not in plain
