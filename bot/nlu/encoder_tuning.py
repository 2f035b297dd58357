"""Fine-tuning MiniLM on the answer units' wordings, so that paraphrases land close together.

Each wording is pulled towards another wording of its unit and away from the other
units in its batch (the usual in-batch contrastive loss). PyTorch is not installed
(see :mod:`bot.nlu.minilm_graph`), so the model is written out again in TensorFlow,
which Rasa already brings; the tuned weights are saved as the published ones are, so
:class:`bot.nlu.sentence_encoder.SentenceEncoder` runs them with onnxruntime.
Why and what it gained: ``docs/answers.md``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from safetensors.numpy import load_file, save_file

from bot.core.content import Library
from bot.core.wordings import Wordings
from bot.nlu.sentence_encoder import default_encoder, model_folder, token_arrays

logger = logging.getLogger(__name__)
SCALE = 20.0
"""Cosine similarities times this are the contrastive loss's logits."""
MAX_TRAIN_TOKENS = 128


@dataclass(frozen=True)
class Tuning:
    """How long and how fast to fine-tune; the seed fixes the batches and dropout."""

    epochs: int = 3
    rate: float = 2e-5
    batch: int = 32
    seed: int = 0


def unit_groups(library: Library, wordings: Wordings) -> dict[str, list[str]]:
    """Each unit's texts to pull together: its example wordings, its training ones, its answer."""
    return {
        uid: [*unit.texts, *wordings.of(uid), unit.answer] for uid, unit in library.units.items()
    }


class TunableMiniLM(tf.Module):
    """The same BERT as :func:`bot.nlu.minilm_graph.build_model`, with trainable weights."""

    def __init__(self, folder: Path, dropout: float = 0.1) -> None:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.size = int(config["hidden_size"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.dropout = dropout
        weights = load_file(str(folder / "model.safetensors"))
        self.fixed = {k: v for k, v in weights.items() if k == "embeddings.position_ids"}
        # The pooler is not part of the sentence embedding, so it gets no gradient.
        self.w = {
            k: tf.Variable(v)
            for k, v in weights.items()
            if k not in self.fixed and "pooler" not in k
        }
        self.pooler = {k: v for k, v in weights.items() if "pooler" in k}

    def _norm(self, x: tf.Tensor, prefix: str) -> tf.Tensor:
        mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
        scaled = (x - mean) / tf.sqrt(variance + self.eps)
        return scaled * self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def _linear(self, x: tf.Tensor, prefix: str) -> tf.Tensor:
        return tf.matmul(x, self.w[prefix + ".weight"], transpose_b=True) + self.w[prefix + ".bias"]

    def _drop(self, x: tf.Tensor, training: bool) -> tf.Tensor:
        return tf.nn.dropout(x, self.dropout) if training and self.dropout else x

    def __call__(self, ids: tf.Tensor, mask: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Unit-length sentence embeddings, [batch, hidden size]."""
        batch, length = tf.shape(ids)[0], tf.shape(ids)[1]
        head_size = self.size // self.heads
        x = tf.gather(self.w["embeddings.word_embeddings.weight"], ids)
        x += self.w["embeddings.position_embeddings.weight"][:length][None]
        x += self.w["embeddings.token_type_embeddings.weight"][0]
        x = self._drop(self._norm(x, "embeddings.LayerNorm"), training)
        padding = (1.0 - mask)[:, None, None, :] * -1e9

        def by_head(t: tf.Tensor) -> tf.Tensor:
            return tf.transpose(tf.reshape(t, [batch, length, self.heads, head_size]), [0, 2, 1, 3])

        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = by_head(self._linear(x, p + "attention.self.query"))
            k = by_head(self._linear(x, p + "attention.self.key"))
            v = by_head(self._linear(x, p + "attention.self.value"))
            scores = tf.matmul(q, k, transpose_b=True) / np.sqrt(head_size) + padding
            attention = self._drop(tf.nn.softmax(scores, -1), training)
            context = tf.transpose(tf.matmul(attention, v), [0, 2, 1, 3])
            context = tf.reshape(context, [batch, length, self.size])
            attended = self._drop(self._linear(context, p + "attention.output.dense"), training)
            x = self._norm(attended + x, p + "attention.output.LayerNorm")
            up = self._linear(x, p + "intermediate.dense")
            gelu = 0.5 * up * (1.0 + tf.math.erf(up / np.sqrt(2.0)))
            down = self._drop(self._linear(gelu, p + "output.dense"), training)
            x = self._norm(down + x, p + "output.LayerNorm")
        m = mask[:, :, None]
        pooled = tf.reduce_sum(x * m, 1) / tf.maximum(tf.reduce_sum(m, 1), 1e-9)
        return tf.math.l2_normalize(pooled, -1)

    def save(self, out: Path, source: Path) -> None:
        """Write the weights, config and tokenizer where :class:`SentenceEncoder` can load them."""
        out.mkdir(parents=True, exist_ok=True)
        weights = {k: v.numpy() for k, v in self.w.items()} | self.fixed | self.pooler
        save_file(weights, str(out / "model.safetensors"))
        for name in ("config.json", "tokenizer.json"):
            (out / name).write_bytes((source / name).read_bytes())


def pair_batches(
    groups: dict[str, list[str]], size: int, rng: random.Random
) -> list[list[tuple[str, str]]]:
    """One epoch: every wording once as an anchor with another wording of its unit.

    No unit appears twice in a batch, so every other pair in it is a true negative.
    """
    anchors = [(unit, i) for unit, texts in groups.items() for i in range(len(texts))]
    rng.shuffle(anchors)
    batches: list[list[tuple[str, str]]] = []
    while anchors:
        batch: list[tuple[str, int]] = []
        seen: set[str] = set()
        rest = []
        for unit, i in anchors:
            if unit in seen or len(batch) == size:
                rest.append((unit, i))
            else:
                batch.append((unit, i))
                seen.add(unit)
        anchors = rest
        pairs = []
        for unit, i in batch:
            texts = groups[unit]
            j = rng.choice([k for k in range(len(texts)) if k != i])
            pairs.append((texts[i], texts[j]))
        batches.append(pairs)
    return batches


def fine_tune(groups: Mapping[str, Sequence[str]], out: Path, tuning: Tuning = Tuning()) -> None:
    """Fine-tune MiniLM on ``groups`` (texts by unit) and save it in ``out``."""
    tokenizer = default_encoder().tokenizer
    tf.random.set_seed(tuning.seed)
    rng = random.Random(tuning.seed)
    model = TunableMiniLM(model_folder())
    optimizer = tf.keras.optimizers.Adam(tuning.rate)
    variables = list(model.w.values())

    def tensors(texts: Sequence[str]) -> tuple[tf.Tensor, tf.Tensor]:
        ids, mask = token_arrays(tokenizer.encode_batch(list(texts)), MAX_TRAIN_TOKENS)
        return tf.constant(ids), tf.constant(mask)

    @tf.function(reduce_retracing=True)
    def step(a_ids: Any, a_mask: Any, b_ids: Any, b_mask: Any) -> Any:
        with tf.GradientTape() as tape:
            logits = SCALE * tf.matmul(
                model(a_ids, a_mask, True), model(b_ids, b_mask, True), transpose_b=True
            )
            labels = tf.range(tf.shape(logits)[0])
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
            ) + tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels, tf.transpose(logits))
            )
        gradients = tape.gradient(loss, variables)
        # AutoGraph's zip takes no strict=; both lists come from ``variables``.
        optimizer.apply_gradients(zip(gradients, variables))  # noqa: B905
        return loss / 2

    started = time.perf_counter()
    lists = {unit: list(texts) for unit, texts in groups.items()}
    for epoch in range(tuning.epochs):
        losses = [
            float(step(*tensors([a for a, _ in b]), *tensors([p for _, p in b])))
            for b in pair_batches(lists, tuning.batch, rng)
        ]
        logger.info(
            "epoch %d: loss %.3f, %.0f s", epoch + 1, np.mean(losses), time.perf_counter() - started
        )
    model.save(out, model_folder())
