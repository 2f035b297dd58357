"""A clinic profile: checked on load, and used where a patient needs the clinic."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.answers import answer_unit, no_good_answer
from bot.core.clinic import DETAILS, PROFILE_FILE, Profile, ProfileError, load_profile, read_profile
from bot.core.content import Library
from bot.quality.content_gates import load_policy, readability
from tests.servers import say
from tools.stack import LAUNCH, ROOT, started

# A made-up clinic, also used by the browser test.
RIVERSIDE_FILE = Path(__file__).parent / "clinic" / "riverside.yml"
RIVERSIDE: dict[str, Any] = yaml.safe_load(RIVERSIDE_FILE.read_text(encoding="utf-8"))


def write_profile(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "clinic.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def with_clinic(library: Library) -> Library:
    return dataclasses.replace(library, clinic=read_profile(RIVERSIDE).clinic)


def test_the_shipped_profile_is_the_neutral_one() -> None:
    assert load_profile(PROFILE_FILE) == Profile(None, "")


def test_a_full_profile_reads_into_a_clinic() -> None:
    profile = read_profile(RIVERSIDE)
    assert profile.clinic is not None and profile.region == "us"
    assert profile.clinic.prices[0].price == "$900"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"phone": "call us"}, "phone: 'call us' is not a phone number"),
        ({"phone": "12"}, "phone: '12' is not a phone number"),
        ({"website": "riverside"}, "website: 'riverside' is not a web address"),
        ({"booking_url": "ftp://riverside.example.org"}, "booking_url:"),
        ({"treatments": ["ect"]}, "treatments:"),
        ({"region": "fr"}, "region: 'fr' is not one of us, uk, ca"),
        ({"prices": [{"item": "Session"}]}, "prices[0]: both item and price are needed"),
        ({"email": "a@b.org"}, "unknown field 'email'"),
        ({"name": ""}, "name: needed when any other clinic detail is set"),
        ({"hours": ["Mon"]}, "hours: expected text"),
    ],
)
def test_a_wrong_field_is_named_in_the_error(change: dict[str, Any], named: str) -> None:
    with pytest.raises(ProfileError, match="clinic.yml: " + named.replace("[", r"\[")):
        read_profile({**RIVERSIDE, **change}, "clinic.yml")


def test_without_a_clinic_answers_stay_general(library: Library) -> None:
    unit = library.unit("cost_spravato")
    assert unit is not None and library.clinic is None
    text = answer_unit(unit, library, personal=True).text
    assert "Riverside" not in text
    assert library.message("provider_line") in text


def test_a_cost_answer_gives_the_clinic_prices_and_contact_once(library: Library) -> None:
    unit = library.unit("cost_spravato")
    assert unit is not None
    text = answer_unit(unit, with_clinic(library), personal=True).text
    assert "as the clinic gives them: Spravato session: $900 (before insurance)" in text
    assert text.count("+1 555 010 0199") == 1


def test_where_to_get_it_names_what_the_clinic_offers_and_how_to_book(library: Library) -> None:
    unit = library.unit("where_to_get_spravato")
    assert unit is not None
    text = answer_unit(unit, with_clinic(library)).text
    assert "At Riverside Mood Clinic you can get Spravato" in text
    assert "12 Main Street, Springfield" in text
    assert "https://riverside.example.org/book" in text


def test_the_provider_line_says_how_to_reach_the_clinic(library: Library) -> None:
    unit = library.unit("nausea_and_vomiting")
    assert unit is not None and not unit.clinic
    text = answer_unit(unit, with_clinic(library), personal=True).text
    assert "To ask the care team at Riverside Mood Clinic, call +1 555 010 0199" in text


def test_no_good_answer_says_how_to_reach_the_clinic(library: Library) -> None:
    text = no_good_answer([], "us", with_clinic(library)).text
    assert "call +1 555 010 0199" in text


def test_a_clinic_that_offers_neither_says_so(library: Library) -> None:
    clinic = read_profile({**RIVERSIDE, "treatments": ["none"]}).clinic
    assert clinic is not None
    assert clinic.offers() == "Riverside Mood Clinic does not give ketamine or Spravato."


def test_a_clinic_that_does_not_say_what_it_offers_says_nothing_about_it() -> None:
    clinic = read_profile({**RIVERSIDE, "treatments": []}).clinic
    assert clinic is not None and clinic.offers() == ""


def test_a_phone_number_written_without_quotes_stays_as_written(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yml"
    path.write_text("name: Riverside\nphone: 02071234567\nhours: 9:30 to 5\n", encoding="utf-8")
    clinic = load_profile(path).clinic
    assert clinic is not None
    assert (clinic.phone, clinic.hours) == ("02071234567", "9:30 to 5")


@pytest.mark.parametrize("mode", ["run", "actions"])
def test_the_launcher_refuses_a_wrong_profile_before_starting_anything(
    tmp_path: Path, mode: str
) -> None:
    profile = write_profile(tmp_path, {**RIVERSIDE, "phone": "call us"})
    done = subprocess.run(
        [*LAUNCH, mode],
        cwd=ROOT,
        env={"CLINIC_PROFILE": str(profile), "LOG_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{profile}: phone: 'call us' is not a phone number" in done.stdout
    assert "Starting" not in done.stdout
    assert not (tmp_path / "actions.log").exists()


@pytest.mark.model
def test_over_rest_the_clinic_answers_where_cost_and_who_to_ask(tmp_path: Path) -> None:
    with started(tmp_path, {"CLINIC_PROFILE": str(RIVERSIDE_FILE)}) as stack:
        url = stack.url
        where = " ".join(say(url, "clinic-1", "where can i get spravato?"))
        cost = " ".join(say(url, "clinic-1", "how much does spravato cost?"))
        personal = " ".join(say(url, "clinic-2", "should i get spravato? what's right for me"))
    assert "At Riverside Mood Clinic you can get Spravato" in where
    assert "https://riverside.example.org/book" in where
    assert "$900" in cost
    assert "To ask the care team at Riverside Mood Clinic, call +1 555 010 0199" in personal


def test_the_clinic_sentences_read_at_grade_8_or_below() -> None:
    # The payment notes are the clinic's own words; the rest is ours.
    clinic = read_profile({**RIVERSIDE, "payment_notes": ""}).clinic
    assert clinic is not None
    score = readability(clinic.details(DETAILS))
    assert score.passes(load_policy()), score
