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
fingerprint, so that Rasa's cache retrains only what comes after it.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.core.content import CONTENT_DIR, default_library
from bot.core.wordings import WORDINGS_DIR, load_wordings
from bot.nlu.encoder_tuning import Tuning, fine_tune, unit_groups
from bot.nlu.persisted import PersistedComponent
from bot.nlu.sentence_encoder import SentenceEncoder, default_encoder, encoder_for, register

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
        """The answer units and their wordings, which it learns from: an edit retrains."""
        digest = hashlib.sha256()
        for path in sorted([*(CONTENT_DIR / "answers").glob("*.yml"), *WORDINGS_DIR.glob("*.yml")]):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

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
        with self._storage.write_to(self._resource) as folder:
            fine_tune(unit_groups(library, load_wordings(library)), folder, settings)
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
