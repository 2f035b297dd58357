"""Rasa NLU component: MiniLM fine-tuned on the answer units' wordings, saved with the model.

At training it fine-tunes the published encoder (:mod:`bot.nlu.encoder_tuning`) and
saves the weights in its folder of the model; when the model loads, it loads them. The
blended intent classifier and the answer retriever after it embed messages with it: it
marks the training examples with the encoder's key, they train with the encoder the key
names and keep the key, and at prediction they ask for the encoder by that key
(:func:`bot.nlu.sentence_encoder.encoder_for`). So one forward pass serves both, and
neither mixes vectors of two encoders. (The crisis assessor keeps the published encoder:
docs/crisis.md says why.)

Place it after DIET, which does not use it: the mark changes the training data's
fingerprint, so that Rasa's cache retrains what comes after it when the encoder changes.
The components after it find the encoder when they load because Rasa loads a model's
components in pipeline order.

Rasa also retrains it whenever the NLU data before it changes, although it does not learn
from that data; so the tuned weights are kept in ``build/tuned-encoder/``, under a digest
of what they do depend on (the units, their wordings, the tuning code and its settings),
and fine-tuning runs again only when one of those changes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.core.content import default_library
from bot.core.wordings import answer_files, load_wordings
from bot.nlu import encoder_tuning
from bot.nlu.encoder_tuning import Tuning, fine_tune, unit_groups
from bot.nlu.persisted import PersistedComponent, files_digest
from bot.nlu.sentence_encoder import (
    PRECISION,
    SentenceEncoder,
    default_encoder,
    encoder_for,
    register,
)

CACHE_DIR = Path(__file__).resolve().parents[2] / "build" / "tuned-encoder"
ENCODER_KEY = "sentence_encoder"
"""Where a training example holds the key of the encoder to train with."""


def training_encoder(training_data: TrainingData) -> SentenceEncoder:
    """The encoder to train with: the one the examples are marked with, else the published one."""
    keys = {m.get(ENCODER_KEY) for m in training_data.training_examples} - {None}
    if len(keys) > 1:
        raise ValueError(f"training examples marked with several encoders: {sorted(keys)}")
    return encoder_for(keys.pop()) if keys else default_encoder()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class TunedEncoder(PersistedComponent):
    """Fine-tunes the sentence encoder at training and loads it with the model."""

    saved_as = "model.safetensors"
    untrained_warning = "TunedEncoder has no weights; the published encoder is used"
    _encoder: SentenceEncoder | None = None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """How to fine-tune (:class:`bot.nlu.encoder_tuning.Tuning`)."""
        return asdict(Tuning())

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """What the weights are tuned from, and the encoder's precision: a change retrains."""
        return files_digest(_tuning_files()) + PRECISION

    @classmethod
    def read_saved(cls, model_storage: ModelStorage, resource: Resource) -> Any | None:
        """The encoder saved in the component's folder, or None when the model has none."""
        try:
            with model_storage.read_from(resource) as folder:
                return SentenceEncoder(folder) if (folder / cls.saved_as).exists() else None
        except ValueError:
            return None

    def restore(self, saved: SentenceEncoder) -> None:
        """Take back the tuned encoder and get it ready, so the first message is not slow."""
        self._encoder = saved
        register(saved)
        saved.encode(["ready"])

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tune on every unit's wordings and save the weights in the model."""
        library = default_library()
        settings = Tuning(**{k: self._config[k] for k in self.get_default_config()})
        assert self._storage is not None and self._resource is not None
        inputs = json.dumps([files_digest(_tuning_files()), asdict(settings)])
        cached = CACHE_DIR / hashlib.sha256(inputs.encode()).hexdigest()[:16]
        if not (cached / self.saved_as).exists():
            shutil.rmtree(CACHE_DIR, ignore_errors=True)  # one set of weights, not one per edit
            partial = CACHE_DIR / "partial"
            fine_tune(unit_groups(library, load_wordings(library)), partial, settings)
            partial.rename(cached)
        with self._storage.write_to(self._resource) as folder:
            shutil.copytree(cached, folder, dirs_exist_ok=True)
            self.restore(SentenceEncoder(folder))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Mark every example with the encoder's key, for the components after it."""
        if self._encoder is not None:
            for message in training_data.training_examples:
                message.set(ENCODER_KEY, self._encoder.key)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Nothing to add: the components after it embed each message themselves."""
        return messages


def _tuning_files() -> list[Path]:
    """The answer units, their wordings and the tuning code: what the cached weights are kept by."""
    return [*answer_files(), Path(encoder_tuning.__file__)]
