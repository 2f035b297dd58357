"""What the project's NLU components learn, saved with the model and read back.

:func:`save` and :func:`load` keep one object per file in a component's folder of the
model; :class:`PersistedComponent` holds what every trainable component of the
project repeats around them: the config, where to persist, ``create`` and ``load``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from typing_extensions import Self


def files_digest(paths: Iterable[Path]) -> str:
    """A digest of the files' names and contents: a component's ``fingerprint_addon``."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


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


class PersistedComponent(GraphComponent):
    """A trainable component that saves what it learnt as one object, ``saved_as``.

    ``create`` gives it untrained; ``load`` gives it back what :meth:`persist` saved
    (:meth:`read_saved`), through :meth:`restore`, or logs ``untrained_warning`` when
    the model has nothing.
    """

    saved_as: ClassVar[str]
    untrained_warning: ClassVar[str]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage | None,
        resource: Resource | None,
    ) -> None:
        """Hold the config and where to persist (None only for use outside Rasa's graph)."""
        self._config = config
        self._storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Self:
        """An untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> Self:
        """The component with what it learnt when the model was trained."""
        component = cls(config, model_storage, resource)
        saved = cls.read_saved(model_storage, resource)
        if saved is None:
            logging.getLogger(cls.__module__).warning(cls.untrained_warning)
        else:
            component.restore(saved)
        return component

    @classmethod
    def read_saved(cls, model_storage: ModelStorage, resource: Resource) -> Any | None:
        """What :meth:`persist` saved as ``saved_as``, or None when the model has none."""
        return load(model_storage, resource, cls.saved_as)

    def restore(self, saved: Any) -> None:
        """Take back what :meth:`persist` saved at training."""
        raise NotImplementedError

    def persist(self, trained: Any, name: str | None = None) -> Resource:
        """Save ``trained`` as ``name`` (``saved_as``); the resource, for ``train`` to return."""
        assert self._storage is not None and self._resource is not None
        save(self._storage, self._resource, name or self.saved_as, trained)
        return self._resource
