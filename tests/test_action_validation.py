"""The cached action-response check accepts and rejects exactly what Rasa's own check does."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.server import action_validation

VALID: list[dict[str, Any]] = [
    {},
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "last_topic", "value": "ask_side_effects"},
            {"event": "session_started"},
            {"event": "action", "name": "action_listen"},
        ],
        "responses": [{"text": "hello", "buttons": [{"title": "More", "payload": "/ask_more"}]}],
    },
]
INVALID: list[dict[str, Any]] = [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot"}]},  # a slot event needs a name
    {"responses": ["not an object"]},
]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_answer_question", EndpointConfig("http://127.0.0.1:1/webhook"))


def outcome(action: RemoteAction, response: dict[str, Any]) -> str:
    try:
        return str(action._validate_action_result(response))
    except ValidationError as error:
        return f"error: {error.message}"


@pytest.mark.parametrize("response", VALID + INVALID)
def test_cached_check_gives_the_same_outcome_and_message_as_rasas(action, response):
    original = outcome(action, response)
    action_validation.install()
    try:
        assert outcome(action, response) == original
    finally:
        action_validation.uninstall()


@pytest.mark.parametrize("response", INVALID)
def test_invalid_responses_are_rejected_with_rasas_hint(action, response):
    action_validation.install()
    try:
        assert "Failed to validate Action server response" in outcome(action, response)
    finally:
        action_validation.uninstall()


def test_install_and_uninstall_swap_the_method():
    original = RemoteAction._validate_action_result
    action_validation.install()
    try:
        assert RemoteAction._validate_action_result is action_validation.validate_action_result
    finally:
        action_validation.uninstall()
    assert RemoteAction._validate_action_result is original
