"""The gap report groups unanswered questions from a real tracker store, privately."""

from __future__ import annotations

import datetime as dt

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.core.crisis.lexicon import default_detector
from tools.gap_report import (
    UserMessage,
    find_gaps,
    group_messages,
    main,
    mask,
    read_user_messages,
    render_report,
)
from tools.tracker_db import describe, store_url

DAY = 86_400.0
START = dt.datetime(2026, 11, 2, 9, tzinfo=dt.timezone.utc).timestamp()
CRISIS_TEXT = "honestly i want to end my life tonight"
MISSED_CRISIS_TEXT = "i think i will kill myself after this"

# (sender, day, text, intent): one scripted conversation per sender.
SCRIPT = [
    ("ann", 0, "can ketamine help with ocd", "nlu_fallback"),
    ("ann", 0, "what does spravato cost", "ask_cost_access"),
    ("ann", 1, CRISIS_TEXT, "crisis"),
    ("ben", 3, "does ketamine help ocd", "nlu_fallback"),
    ("ben", 3, "my name is Sam Carter and I want to know my dose", "ask_personal_advice"),
    ("ben", 4, MISSED_CRISIS_TEXT, "nlu_fallback"),
    ("cat", 6, "can ketamine help with ocd?", "nlu_fallback"),
    ("cat", 6, "what is the weather in paris", "out_of_scope"),
    ("cat", 7, "email me at sam.carter@example.com or call 555-123-4567", "out_of_scope"),
    ("dan", 9, "what is the weather in london", "out_of_scope"),
    ("eve", 10, "can i bring my service dog to a spravato session", "ask_administration"),
    ("eve", 10, "what does spravato taste like", "ask_administration"),
]
# The answer units ranked for a message (parse data "answers"): a weak and a clear match.
ANSWERS = {
    "can i bring my service dog to a spravato session": [
        {"unit": "session_what_to_bring", "score": 0.3, "probability": 0.05, "similarity": 0.5}
    ],
    "what does spravato taste like": [
        {"unit": "spravato_taste", "score": 1.4, "probability": 0.9, "similarity": 1.0}
    ],
}


def _tracker(sender: str) -> DialogueStateTracker:
    events = []
    for who, day, text, intent in SCRIPT:
        if who != sender:
            continue
        at = START + day * DAY
        parse_data = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
        if text in ANSWERS:
            parse_data["answers"] = ANSWERS[text]
        events += [
            UserUttered(text, parse_data["intent"], [], parse_data, timestamp=at),
            ActionExecuted("action_answer_question", timestamp=at + 1),
            BotUttered("an answer", timestamp=at + 2),
            ActionExecuted("action_listen", timestamp=at + 3),
        ]
    return DialogueStateTracker.from_events(sender, events)


@pytest.fixture
async def db(tmp_path):
    path = tmp_path / "t.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    for sender in dict.fromkeys(s for s, *_ in SCRIPT):
        await store.save(_tracker(sender))
    store.engine.dispose()
    return path


@pytest.fixture
def gaps(db):
    messages = read_user_messages(store_url({"SQLITE_PATH": str(db)}))
    return find_gaps(messages, default_detector())


@pytest.fixture
def report(db, tmp_path, capsys):
    out = tmp_path / "reports" / "gap-report.md"
    main(["--out", str(out)], env={"SQLITE_PATH": str(db)})
    printed = capsys.readouterr().out
    written = out.read_text(encoding="utf-8")
    assert printed == written
    return written


def test_every_user_message_in_the_store_is_read(db):
    messages = read_user_messages(store_url({"SQLITE_PATH": str(db)}))
    assert [m.text for m in messages] == [
        text for _, _, text, _ in sorted(SCRIPT, key=lambda r: r[1])
    ]


def test_similar_wordings_from_different_conversations_form_one_group(gaps):
    ocd = [g for g in gaps.groups if "ocd" in g.key]
    assert len(ocd) == 1
    assert len(ocd[0].texts) == 3


def test_different_questions_stay_in_different_groups(gaps):
    weather = [g for g in gaps.groups if "weather" in g.key]
    assert len(weather) == 1
    assert len(weather[0].texts) == 2
    assert len(gaps.groups) == 5


def test_a_group_has_its_first_and_last_dates(report):
    assert "| 3 | 2026-11-02 | 2026-11-08 | `can ketamine help with ocd` |" in report


def test_groups_are_listed_under_their_intent(report):
    fallback = report.index("## Not understood (`nlu_fallback`)")
    scope = report.index("## Out of scope (`out_of_scope`)")
    assert fallback < report.index("ocd") < scope < report.index("weather in paris")


def test_counts_per_kind_are_in_the_summary(report):
    assert "| Not understood (`nlu_fallback`) | 3 | 1 |" in report
    assert "| Out of scope (`out_of_scope`) | 3 | 2 |" in report
    assert "| Asked for personal advice (`ask_personal_advice`) | 1 | 1 |" in report


def test_crisis_messages_are_counted(report):
    assert "| Crisis messages (text not shown) | 2 | - |" in report


def test_crisis_text_never_appears_even_when_nlu_missed_it(report):
    for words in (CRISIS_TEXT, MISSED_CRISIS_TEXT, "end my life", "kill myself"):
        assert words not in report


def test_names_emails_and_phone_numbers_are_masked_in_the_report(report):
    assert "Sam" not in report and "Carter" not in report
    assert "sam.carter@example.com" not in report
    assert "555-123-4567" not in report
    assert "`my name is [name] and I want to know my dose`" in report
    assert "`email me at [email] or call [phone]`" in report


def test_a_name_after_i_am_called_is_masked():
    assert mask("I'm called Jo Ann, is it safe?") == "I'm called [name], is it safe?"


def test_a_short_number_is_not_a_phone_number():
    assert mask("is 56 mg a lot, or 84?") == "is 56 mg a lot, or 84?"


def test_a_one_word_message_does_not_swallow_longer_ones():
    messages = [
        UserMessage("a", "ketamine", "nlu_fallback", 1.0),
        UserMessage("b", "can my dog have ketamine at the vet", "nlu_fallback", 2.0),
    ]
    assert len(group_messages(messages)) == 2


def test_a_missing_sqlite_store_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="no tracker store at"):
        main(["--out", str(tmp_path / "r.md")], env={"SQLITE_PATH": str(tmp_path / "none.db")})


def test_postgres_settings_come_from_the_environment():
    url = store_url(
        {
            "TRACKER_STORE": "postgres",
            "DB_HOST": "db.internal",
            "DB_PORT": "6543",
            "DB_NAME": "rasa",
            "DB_USER": "bot",
            "DB_PASSWORD": "s3cret",  # pragma: allowlist secret
        }
    )
    assert (url.drivername, url.host, url.port, url.database, url.username) == (
        "postgresql",
        "db.internal",
        6543,
        "rasa",
        "bot",
    )
    assert url.password == "s3cret"


def test_the_report_never_shows_the_database_password():
    nothing = find_gaps([], default_detector())
    env = {"TRACKER_STORE": "postgres", "DB_PASSWORD": "s3cret"}  # pragma: allowlist secret
    url = store_url(env)
    text = render_report(nothing, describe(url), dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc))
    assert "s3cret" not in text


def test_a_question_no_answer_unit_fitted_is_a_gap(gaps, report):
    [group] = [g for g in gaps.groups if g.intent == "no_good_answer"]
    assert group.texts == ["can i bring my service dog to a spravato session"]
    assert report.index("## No good answer (`no_good_answer`)") < report.index("service dog")


def test_a_question_an_answer_unit_fitted_is_not_a_gap(report):
    assert "taste like" not in report
