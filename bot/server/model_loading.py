"""Load DIET's trained weights without a training step first.

Rasa 3.6.21 loads a TensorFlow model (``RasaModel.load``) by compiling it, running
``fit`` on one example so that its variables exist, then reading the trained weights
over them. That ``fit`` traces the whole training step, gradients and optimizer
included, only to throw it away: most of the Rasa server's start-up time
(``docs/benchmarks.md``). Here the trained weights are read first, and TensorFlow
restores each variable when the prediction Rasa runs next anyway creates it; the
optimizer's variables, never created, are not needed to predict. Predictions are the
same (``tests/test_model_loading.py``).

:func:`install` patches ``RasaModel.load`` of the pinned Rasa for serving only; a
model loaded to be fine-tuned, or without an example to predict on, loads as before.
``bot/server/rasa_cli.py`` calls it before Rasa starts.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

_ORIGINAL = RasaModel.__dict__["load"]
"""Rasa's own ``load`` (the classmethod object, so that subclasses still get their class)."""


def load_for_prediction(
    cls: type[RasaModel],
    model_file_name: str,
    model_data_example: RasaModelData,
    predict_data_example: RasaModelData | None = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    """``RasaModel.load``, building the variables by predicting instead of by training."""
    if finetune_mode or predict_data_example is None:
        return _ORIGINAL.__func__(
            cls,
            model_file_name,
            model_data_example,
            predict_data_example,
            finetune_mode,
            *args,
            **kwargs,
        )
    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    model.compile(
        optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
        run_eagerly=config.get(RUN_EAGERLY),
    )
    # Restored as each variable is created; the optimizer's never are.
    model.load_weights(model_file_name).expect_partial()
    model.run_inference(predict_data_example)
    return model


def install() -> None:
    """Use :func:`load_for_prediction` for every TensorFlow model Rasa loads."""
    RasaModel.load = classmethod(load_for_prediction)


def uninstall() -> None:
    """Undo :func:`install` (for tests)."""
    RasaModel.load = _ORIGINAL
