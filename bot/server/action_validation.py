"""Check action server responses against Rasa's schema with a validator built once.

Rasa 3.6.21 checks every response of the action server with ``jsonschema.validate``
(``RemoteAction._validate_action_result``). That function first checks the *schema*
against JSON Schema's meta-schema, on every call; with Rasa's large events schema
this was the biggest hot spot of the Rasa server under load (about 36% of its CPU
time in ``make bench-load``'s profile, against about 1% for checking the response
itself). Here the schema is checked once, the validator is kept, and each response
is checked exactly as before: same schema, same best-matching error, same message.

:func:`install` patches ``RemoteAction._validate_action_result`` of the pinned Rasa;
the launcher (``bot/server/rasa_cli.py``) should call it before Rasa starts.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_ORIGINAL = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def response_validator() -> Any:
    """A validator for Rasa's action response schema; the schema is checked here, once."""
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's check of one action server response, without re-checking the schema."""
    error = exceptions.best_match(response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> None:
    """Use :func:`validate_action_result` for every custom action call."""
    RemoteAction._validate_action_result = validate_action_result


def uninstall() -> None:
    """Undo :func:`install` (for tests)."""
    RemoteAction._validate_action_result = _ORIGINAL
