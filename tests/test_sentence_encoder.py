"""The onnxruntime all-MiniLM-L6-v2 encoder gives the model's real embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu import sentence_encoder
from bot.nlu.sentence_encoder import PRECISION, SentenceEncoder, default_encoder, model_folder

# sentence-transformers' quick-start example and the similarities it prints for this model.
SENTENCES = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
PUBLISHED = np.array([[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]])


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return default_encoder()


@pytest.fixture(scope="module")
def exact() -> SentenceEncoder:
    return SentenceEncoder(model_folder(), exact=True)


def test_built_exactly_the_similarities_match_the_published_example(
    exact: SentenceEncoder,
) -> None:
    vectors = exact.encode(SENTENCES)
    assert np.allclose(vectors @ vectors.T, PUBLISHED, atol=1e-4)


def test_quantized_the_similarities_stay_within_two_hundredths_of_the_published_ones(
    encoder: SentenceEncoder,
) -> None:
    vectors = encoder.encode(SENTENCES)
    assert np.allclose(vectors @ vectors.T, PUBLISHED, atol=0.02)


def test_quantized_embeddings_point_the_same_way_as_the_exact_ones(
    encoder: SentenceEncoder, exact: SentenceEncoder
) -> None:
    texts = ["can I drive home after spravato", "is ketamine addictive?", "hi", *SENTENCES]
    cosines = (encoder.encode(texts) * exact.encode(texts)).sum(axis=1)
    assert cosines.min() > 0.985


def test_the_key_names_the_precision_as_well_as_the_weights(
    encoder: SentenceEncoder, exact: SentenceEncoder
) -> None:
    assert encoder.key == f"{exact.key}-{PRECISION}"


def test_embeddings_are_unit_length_with_384_dimensions(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["is ketamine addictive?", "hi"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


TEXTS_OF_TWO_LENGTHS = ["what is spravato", "my mom starts esketamine next week and she is nervous"]


def test_built_exactly_a_text_gets_the_same_embedding_alone_or_in_a_padded_batch(
    exact: SentenceEncoder,
) -> None:
    together = exact.encode(TEXTS_OF_TWO_LENGTHS)
    alone = np.vstack([exact.encode([t]) for t in TEXTS_OF_TWO_LENGTHS])
    assert np.allclose(together, alone, atol=1e-5)


def test_quantized_a_text_gets_exactly_the_same_embedding_alone_or_among_others(
    encoder: SentenceEncoder,
) -> None:
    # Quantized activations share one scale per batch, so texts must go one by one.
    together = encoder.encode(TEXTS_OF_TWO_LENGTHS)
    alone = np.vstack([encoder.encode([t]) for t in TEXTS_OF_TWO_LENGTHS])
    assert np.array_equal(together, alone)


def test_empty_and_odd_texts_still_get_a_vector(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["", "   ", "🙂", "\x00", "a" * 5000])
    assert vectors.shape == (5, 384)
    assert np.isfinite(vectors).all()


def test_the_forward_pass_runs_on_one_thread(encoder: SentenceEncoder) -> None:
    options = encoder.session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.setitem(sentence_encoder.QUANTIZATION, "weight_type", "QInt8"),
        lambda m: m.setitem(sentence_encoder.QUANTIZATION, "per_channel", False),
        lambda m: m.setattr(sentence_encoder, "QUANTIZED_BATCH", 8),
        lambda m: m.setattr(sentence_encoder, "MAX_TOKENS", 128),
        lambda m: m.setattr(sentence_encoder.onnxruntime, "__version__", "0.0.0"),
    ],
    ids=["weight type", "per channel", "batch", "max tokens", "onnxruntime"],
)
def test_the_precision_name_changes_with_anything_that_changes_the_embeddings(
    change, monkeypatch
) -> None:
    change(monkeypatch)
    assert sentence_encoder.precision_name() != PRECISION
