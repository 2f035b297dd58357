"""Experiment: fine-tune MiniLM on the units' wordings and compare answer retrieval with it.

The shipped ranker uses all-MiniLM-L6-v2 as published. This tool fine-tunes a copy on the
answer units' wordings (each wording pulled towards another wording of its unit and away
from the other units in its batch, the usual in-batch contrastive loss), then ranks every
question set with the published and the tuned encoder side by side: rank-1 and hit@3 of
the ranking alone, and hit@1 and wrong answers after the answer action's choice, with the
shipped settings and with settings chosen again on the development sets. The intent
ranking comes from the trained model (``models/current.tar.gz``).

PyTorch is not installed (see :mod:`bot.nlu.minilm_graph`), so the model is written out
again in TensorFlow, which Rasa already brings. Results are in ``docs/answers.md``.

    python -m tools.encoder_tuning --epochs 3      # about 23 min of training on 2 cores
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from safetensors.numpy import load_file, save_file

from bot.core.answer_selection import Settings
from bot.core.content import load_library
from bot.core.questions import split_questions
from bot.core.wordings import load_wordings
from bot.nlu.answer_retriever import MAX_PARTS
from bot.nlu.retrieval import ANSWERS_KEY, PARTS_KEY, UnitIndex
from bot.nlu.sentence_encoder import SentenceEncoder, default_encoder, model_folder
from tools.answer_eval import DEV_SETS, Question, read_questions, score, set_paths
from tools.bench_answers import MODEL, Parse, parse_all, project_outcome, reblend, tune

SCALE = 20.0
"""Cosine similarities times this are the contrastive loss's logits."""
MAX_TRAIN_TOKENS = 128


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


def fine_tune(out: Path, epochs: int, rate: float, batch_size: int, seed: int = 0) -> None:
    """Fine-tune MiniLM on every unit's wordings and save it in ``out``."""
    library = load_library()
    extra = load_wordings(library)
    groups = {
        uid: [*unit.texts, *extra.of(uid), unit.answer] for uid, unit in library.units.items()
    }
    tokenizer = default_encoder().tokenizer
    tf.random.set_seed(seed)
    rng = random.Random(seed)
    model = TunableMiniLM(model_folder())
    optimizer = tf.keras.optimizers.Adam(rate)
    variables = list(model.w.values())

    def tensors(texts: Sequence[str]) -> tuple[tf.Tensor, tf.Tensor]:
        encodings = tokenizer.encode_batch(list(texts))
        length = min(MAX_TRAIN_TOKENS, max(len(e.ids) for e in encodings))
        ids = np.zeros((len(texts), length), np.int64)
        mask = np.zeros((len(texts), length), np.float32)
        for row, e in enumerate(encodings):
            n = min(length, len(e.ids))
            ids[row, :n], mask[row, :n] = e.ids[:n], 1.0
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
    for epoch in range(epochs):
        losses = [
            float(step(*tensors([a for a, _ in b]), *tensors([p for _, p in b])))
            for b in pair_batches(groups, batch_size, rng)
        ]
        print(
            f"epoch {epoch + 1}: loss {np.mean(losses):.3f}, {time.perf_counter() - started:.0f} s"
        )
    model.save(out, model_folder())


def _reranked(
    parsed: Sequence[tuple[Parse, float]], texts: Sequence[str], index: UnitIndex, encoder: Any
) -> list[tuple[Parse, float]]:
    """The parses with their answer candidates ranked again by ``index`` and ``encoder``."""

    def ranked(text: str) -> list[dict[str, Any]]:
        return [c.as_dict() for c in index.rank(text, encoder.encode_one(text))]

    out = []
    for text, (parse, ms) in zip(texts, parsed, strict=True):
        parts = split_questions(text)
        by_part = [ranked(p) for p in parts] if 2 <= len(parts) <= MAX_PARTS else []
        out.append(({**parse, ANSWERS_KEY: ranked(text), PARTS_KEY: by_part}, ms))
    return out


def _ranking_figures(qs: Sequence[Question], parses: Sequence[tuple[Parse, float]]) -> str:
    """Rank-1 and hit@3 of the ranking alone, over the answerable questions."""
    tops = [
        (q.units, [c["unit"] for c in p[ANSWERS_KEY][:3]])
        for q, (p, _) in zip(qs, parses, strict=True)
        if q.units
    ]
    rank1 = np.mean([top[0] in units for units, top in tops])
    hit3 = np.mean([any(u in units for u in top) for units, top in tops])
    return f"{rank1:.3f} | {hit3:.3f}"


def compare(encoders: dict[str, SentenceEncoder]) -> None:
    """Rank every question set with each encoder and print the figures side by side."""
    library = load_library()
    wordings = load_wordings(library)
    topics = library.unit_topics
    sets = {name: read_questions(path) for name, path in set_paths().items()}
    parsed = {name: parse_all(MODEL, [q.text for q in qs]) for name, qs in sets.items()}
    for label, encoder in encoders.items():
        index = UnitIndex.build(library.units.values(), encoder, extra=wordings)
        reranked = {
            name: _reranked(parsed[name], [q.text for q in qs], index, encoder)
            for name, qs in sets.items()
        }
        dev = [q for name in DEV_SETS for q in sets[name]]
        weight, chosen = tune([p for name in DEV_SETS for p in reranked[name]], dev, topics)
        print(f"\n{label}: settings chosen again on the dev sets: weight {weight}, {chosen}")
        print("set | rank-1 | hit@3 | hit@1, wrong (shipped) | hit@1, wrong (chosen again)")
        for name, qs in sets.items():
            cells = [name, _ranking_figures(qs, reranked[name])]
            for settings, w in ((Settings(), None), (chosen, weight)):
                outcomes = [
                    project_outcome(p if w is None else reblend(p, w), ms, topics, settings)
                    for p, ms in reranked[name]
                ]
                result = score(qs, outcomes)
                cells.append(f"{result['hit@1']:.3f}, {result['wrong']:.3f}")
            print(" | ".join(cells))


def main() -> None:
    """Fine-tune (unless ``--tuned`` names a saved model), then compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=2e-5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--out", type=Path, default=Path("reports") / "tuned-minilm")
    parser.add_argument("--tuned", type=Path, help="compare a model saved earlier; no training")
    args = parser.parse_args()
    folder = args.tuned or args.out
    if not args.tuned:
        fine_tune(folder, args.epochs, args.rate, args.batch)
    compare({"published MiniLM": default_encoder(), "tuned MiniLM": SentenceEncoder(folder)})


if __name__ == "__main__":
    main()
