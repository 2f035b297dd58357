"""Saving one trained object with a component's resource, and reading it back."""

from __future__ import annotations

from typing import Any

import joblib
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


def save(model_storage: ModelStorage, resource: Resource, name: str, trained: Any) -> None:
    """Write ``trained`` as ``name`` in the component's folder of the model."""
    with model_storage.write_to(resource) as folder:
        joblib.dump(trained, folder / name)


def load(model_storage: ModelStorage, resource: Resource, name: str) -> Any | None:
    """The object saved as ``name``, or None when the model has none (not trained with it)."""
    try:
        with model_storage.read_from(resource) as folder:
            return joblib.load(folder / name)
    except (ValueError, FileNotFoundError):
        return None
