"""The load benchmark's own logic: conversations, percentiles, tracker checks, profiles."""

from __future__ import annotations

import random
import socket

from bot.core.content import KNOWLEDGE_INTENTS
from tools.bench_load import (
    check_trackers,
    load_phrasings,
    make_conversation,
    percentile,
    pid_listening_on,
)
from tools.spy_profile import hot_spots


def test_a_conversation_greets_asks_three_to_five_topics_once_more_and_thanks():
    phrasings = load_phrasings()
    assert set(phrasings.knowledge) == set(KNOWLEDGE_INTENTS)
    questions = {q: i for i, qs in phrasings.knowledge.items() for q in qs}
    for seed in range(50):
        turns = make_conversation(random.Random(seed), phrasings)
        assert turns[0] in phrasings.greet
        assert turns[-1] in phrasings.thanks
        middle = turns[1:-1]
        asked = [questions[t] for t in middle if t in questions]
        assert 3 <= len(asked) <= 5
        assert len(set(asked)) == len(asked)
        assert sum(t in phrasings.more for t in middle) == 1
        assert middle[0] in questions  # "tell me more" comes after a question


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_tracker_check_finds_lost_foreign_reordered_and_unknown_turns():
    sent = {"a": ["hi", "q1", "thanks"], "b": ["hi", "q2"], "c": ["x", "y"], "d": ["hi"]}
    stored = {
        "a": ["hi", "q1", "thanks"],  # exact
        "b": ["hi", "q2", "q1"],  # a turn that was not b's
        "c": ["y", "x"],  # out of order
        "e": ["hi"],  # never sent by anyone; d's turn is lost
    }
    result = check_trackers(sent, stored)
    assert result["exact"] == 1
    assert result["lost_turns"] == 1
    assert result["foreign_turns"] == 1
    assert result["out_of_order_conversations"] == 1
    assert result["unknown_senders"] == 1
    assert set(result["broken_senders"]) == {"b", "c", "d"}


def test_hot_spots_share_busy_samples_and_leave_the_idle_loop_apart():
    raw = "\n".join(
        [
            "main (a.py);serve (sanic/server/runners.py) 50",
            "main (a.py);serve (sanic/server/runners.py);parse_message (rasa/core/processor.py);"
            "process (bot/nlu/blended_classifier.py);predict (x.py) 30",
            "main (a.py);serve (sanic/server/runners.py);save_tracker (rasa/core/processor.py);"
            "do_commit (sqlalchemy/engine/default.py) 10",
        ]
    )
    spots = hot_spots(raw)
    assert spots["samples"] == 40
    assert spots["idle_samples"] == 50
    assert spots["phases"]["NLU pipeline"] == 75.0
    assert spots["phases"]["- BlendedIntentClassifier (project)"] == 75.0
    assert spots["phases"]["- SQLite commit"] == 25.0
    assert spots["self"][0] == {"function": "predict (x.py)", "percent": 75.0}


def test_the_listening_process_is_found_by_its_port():
    import os

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert pid_listening_on(server.getsockname()[1]) == os.getpid()
