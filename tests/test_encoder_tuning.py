"""Fine-tuning starts from the published encoder, pairs wordings fairly and pulls them together."""

from __future__ import annotations

import random

import numpy as np
import tensorflow as tf

from bot.nlu.encoder_tuning import TunableMiniLM, Tuning, fine_tune, pair_batches
from bot.nlu.sentence_encoder import SentenceEncoder, default_encoder, model_folder, token_arrays

TEXTS = ["can i drive home after spravato", "What does the nasal spray taste like?"]


def test_the_tensorflow_copy_gives_the_exact_encoders_embeddings() -> None:
    encoder = SentenceEncoder(model_folder(), exact=True)
    ids, mask = token_arrays(encoder.tokenizer.encode_batch(TEXTS))
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


GROUPS = {
    "driving": ["can i drive home after spravato", "who takes me home after my dose"],
    "taste": ["what does the nasal spray taste like", "is there a bitter taste after"],
    "pregnancy": ["is it safe while pregnant", "can i use it when breastfeeding"],
    "cost": ["how much does a session cost", "will my insurance pay for it"],
}


def mean_similarity(encoder: SentenceEncoder, same_unit: bool) -> float:
    vectors = {u: encoder.encode(texts) for u, texts in GROUPS.items()}
    pairs = [
        float(a @ b)
        for u, vs in vectors.items()
        for w, ws in vectors.items()
        if (u == w) == same_unit
        for i, a in enumerate(vs)
        for j, b in enumerate(ws)
        if u != w or i < j
    ]
    return float(np.mean(pairs))


def test_fine_tuning_pulls_a_units_wordings_together_and_other_units_apart(tmp_path) -> None:
    fine_tune(GROUPS, tmp_path, Tuning(epochs=3, rate=1e-4, batch=4))
    tuned, published = SentenceEncoder(tmp_path), default_encoder()
    gap = mean_similarity(tuned, True) - mean_similarity(tuned, False)
    assert gap > mean_similarity(published, True) - mean_similarity(published, False) + 0.05
    assert tuned.key != published.key
