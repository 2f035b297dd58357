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
    answers,
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
OTHER = "cost_spravato"


def as_read(library: Library, *keys: str) -> dict[str, str]:
    """Each answer with its digest now, as a reviewer who just read it gives it."""
    current = answers(library)
    return {key: current[key].digest for key in keys}


def test_every_answer_has_a_record_and_no_signed_answer_changed() -> None:
    assert problems(load_library(), read_records(SIGNOFF_FILE)) == []


def test_the_records_hold_roles_never_names(library: Library) -> None:
    roles = {r.role for r in read_records(SIGNOFF_FILE).values() if r.role}
    assert roles <= {"psychiatrist", "pharmacist", "nurse", "patient educator"}


def test_a_signed_answer_is_signed_until_its_text_changes(library: Library) -> None:
    records = sign_off(library, {}, as_read(library, UNIT), "psychiatrist", DAY)
    unit = library.unit(UNIT)
    assert unit is not None
    assert status(unit_answer(unit), records[UNIT]) == "signed"
    edited = dataclasses.replace(unit, answer=unit.answer + " Drink water.")
    assert status(unit_answer(edited), records[UNIT]) == "changed"


def test_a_changed_source_counts_as_a_change(library: Library) -> None:
    records = sign_off(library, {}, as_read(library, UNIT), "psychiatrist", DAY)
    unit = library.unit(UNIT)
    assert unit is not None
    moved = Source(unit.sources[0].publisher, unit.sources[0].title, "https://example.org/x")
    edited = dataclasses.replace(unit, sources=(moved, *unit.sources[1:]))
    assert status(unit_answer(edited), records[UNIT]) == "changed"


def test_adding_or_dropping_the_provider_line_counts_as_a_change(library: Library) -> None:
    records = sign_off(library, {}, as_read(library, UNIT), "psychiatrist", DAY)
    unit = library.unit(UNIT)
    assert unit is not None
    edited = dataclasses.replace(unit, personal_decision=not unit.personal_decision)
    assert status(unit_answer(edited), records[UNIT]) == "changed"


def test_marking_pending_keeps_the_last_sign_off_for_the_packet(library: Library) -> None:
    signed = sign_off(library, {}, as_read(library, UNIT), "nurse", DAY)
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


def build_packet(content: Path) -> Path:
    """The review packet of ``content``, written next to it."""
    out = content / "packet.html"
    assert main(["--content", str(content), "packet", "--out", str(out)]) == 0
    return out


def card(packet: Path, key: str) -> str:
    """The packet's card for answer ``key``."""
    html = packet.read_text(encoding="utf-8")
    return html.split(f'id="{key}"', 1)[1].split("</section>", 1)[0]


def edit_answer(content: Path, old: str, new: str) -> None:
    path = content / "answers" / "ask_side_effects.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_edit_fails_the_check_until_signed_off_again(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = ["--content", str(content)]
    out = build_packet(content)
    assert main([*cli, "sign", "--role", "psychiatrist", "--packet", str(out), UNIT]) == 0
    assert main([*cli, "check"]) == 0

    edit_answer(content, "Nausea is one of the most common", "Nausea is among the most common")
    assert main([*cli, "check"]) == 1
    assert f"{UNIT}: changed after its sign-off by psychiatrist" in capsys.readouterr().out

    build_packet(content)
    packet = out.read_text(encoding="utf-8")
    assert "<del>one of</del> <ins>among</ins>" in packet
    assert f'id="{UNIT}"' in packet

    assert main([*cli, "sign", "--role", "psychiatrist", "--packet", str(out), UNIT]) == 0
    assert main([*cli, "check"]) == 0
    main([*cli, "packet", "--out", str(out)])
    assert f'id="{UNIT}"' not in out.read_text(encoding="utf-8")


def test_marking_an_edited_answer_pending_passes_the_check(content: Path) -> None:
    cli = ["--content", str(content)]
    main([*cli, "sign", "--role", "pharmacist", "--packet", str(build_packet(content)), UNIT])
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
    out = build_packet(content)
    assert "talk to your care team" in card(out, personal.id)
    assert "talk to your care team" not in card(out, UNIT)


def test_the_packet_shows_each_answers_digest_and_the_command_that_signs_it(
    content: Path, library: Library
) -> None:
    short = as_read(library, UNIT)[UNIT][:12]
    shown = card(build_packet(content), UNIT)
    assert f"digest <code>{short}</code>" in shown
    assert f"make sign-off ROLE=&lt;your role&gt; ANSWERS={UNIT}={short}</code>" in shown


def test_signing_with_the_digest_the_packet_shows_records_the_sign_off(
    content: Path, library: Library
) -> None:
    digest = as_read(library, UNIT)[UNIT]
    cli = ["--content", str(content), "sign", "--role", "nurse"]
    # The digest is on the command line, so no packet file is read.
    assert main([*cli, "--packet", str(content / "none.html"), f"{UNIT}={digest[:12]}"]) == 0
    record = read_records(content / SIGNOFF_FILE.name)[UNIT]
    assert (record.role, record.sha256, record.pending) == ("nurse", digest, False)


def test_a_bare_id_is_signed_off_with_the_digest_in_the_packet(
    content: Path, library: Library
) -> None:
    cli = ["--content", str(content), "sign", "--role", "nurse"]
    assert main([*cli, "--packet", str(build_packet(content)), UNIT]) == 0
    assert read_records(content / SIGNOFF_FILE.name)[UNIT].sha256 == as_read(library, UNIT)[UNIT]


def test_an_answer_edited_after_the_packet_was_built_is_refused_and_nothing_is_recorded(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = build_packet(content)
    edit_answer(content, "Nausea is one of the most common", "Nausea is among the most common")
    before = (content / SIGNOFF_FILE.name).read_bytes()
    cli = ["--content", str(content), "sign", "--role", "psychiatrist", "--packet", str(out)]
    assert main([*cli, OTHER, UNIT]) == 2
    assert main([*cli, "--all-in-packet"]) == 2
    assert f"{UNIT}: changed since it was read" in capsys.readouterr().err
    assert (content / SIGNOFF_FILE.name).read_bytes() == before


def test_a_digest_that_is_not_the_answers_is_refused(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = ["--content", str(content), "sign", "--role", "psychiatrist"]
    assert main([*cli, f"{UNIT}={'0' * 12}"]) == 2
    assert f"{UNIT}: changed since it was read" in capsys.readouterr().err


def test_a_digest_shorter_than_the_packet_shows_is_refused(
    content: Path, library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    short = as_read(library, UNIT)[UNIT][:6]
    assert main(["--content", str(content), "sign", "--role", "nurse", f"{UNIT}={short}"]) == 2
    assert "is not a digest of 12 or more hex characters" in capsys.readouterr().err


def test_a_bare_id_cannot_be_signed_off_without_a_packet(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = ["--content", str(content), "sign", "--role", "nurse"]
    assert main([*cli, "--packet", str(content / "none.html"), UNIT]) == 2
    assert "no review packet at" in capsys.readouterr().err


def test_a_bare_id_that_is_not_in_the_packet_is_refused(
    content: Path, library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = ["--content", str(content)]
    main([*cli, "sign", "--role", "nurse", f"{UNIT}={as_read(library, UNIT)[UNIT]}"])
    out = build_packet(content)
    assert main([*cli, "sign", "--role", "nurse", "--packet", str(out), UNIT]) == 2
    assert f"not in the review packet {out}, so not read there: {UNIT}" in capsys.readouterr().err


def test_signing_all_signs_off_only_the_answers_in_the_packet(
    content: Path, library: Library
) -> None:
    cli = ["--content", str(content)]
    main([*cli, "sign", "--role", "nurse", f"{UNIT}={as_read(library, UNIT)[UNIT]}"])
    out = build_packet(content)
    main([*cli, "pending", UNIT])  # waits again, but the packet read did not show it
    assert (
        main([*cli, "sign", "--role", "psychiatrist", "--packet", str(out), "--all-in-packet"]) == 0
    )
    records = read_records(content / SIGNOFF_FILE.name)
    assert (records[UNIT].role, records[UNIT].pending) == ("nurse", True)
    assert (records[OTHER].role, records[OTHER].pending) == ("psychiatrist", False)
