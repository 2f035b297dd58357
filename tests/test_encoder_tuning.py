"""The fine-tuning experiment starts from the shipped encoder and pairs wordings fairly."""

from __future__ import annotations

import random

import numpy as np
import tensorflow as tf

from bot.nlu.sentence_encoder import default_encoder, model_folder
from tools.encoder_tuning import TunableMiniLM, pair_batches

TEXTS = ["can i drive home after spravato", "What does the nasal spray taste like?"]


def test_the_tensorflow_copy_gives_the_shipped_encoders_embeddings() -> None:
    encoder = default_encoder()
    encodings = encoder.tokenizer.encode_batch(TEXTS)
    length = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(TEXTS), length), np.int64)
    mask = np.zeros((len(TEXTS), length), np.float32)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)], mask[row, : len(e.ids)] = e.ids, 1.0
    copy = TunableMiniLM(model_folder())(tf.constant(ids), tf.constant(mask)).numpy()
    assert np.allclose(copy, encoder.encode(TEXTS), atol=1e-5)


def test_every_wording_is_an_anchor_once_with_no_unit_twice_in_a_batch() -> None:
    groups = {f"unit{u}": [f"unit{u} wording {i}" for i in range(2 + u % 4)] for u in range(10)}
    batches = pair_batches(groups, size=4, rng=random.Random(0))
    anchors = [a for batch in batches for a, _ in batch]
    assert sorted(anchors) == sorted(t for texts in groups.values() for t in texts)
    for batch in batches:
        units = [a.split()[0] for a, _ in batch]
        assert len(units) == len(set(units)) <= 4
        assert all(a != p and a.split()[0] == p.split()[0] for a, p in batch)
