"""all-MiniLM-L6-v2 as an ONNX graph, built from its safetensors weights, for onnxruntime.

The usual exporter (``torch.onnx``, or ``optimum`` on top of it) needs PyTorch: several
GB of CUDA build from PyPI for Python 3.10. The model is a plain 6-layer BERT, so its
graph is written out here node by node, as sentence-transformers computes it: BERT,
then the mean of the token vectors over the attention mask, then L2 normalisation.
onnxruntime runs it about three times faster than numpy did for one short message:
its matrix products are faster for a few rows, and it fuses the small steps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

INPUTS = ("ids", "mask")
"""Token ids (int64) and attention mask (float32), both [batch, length]."""
OUTPUT = "embeddings"
"""[batch, hidden size] float32, unit length."""
OPSET = 17


class _Graph:
    """Collects nodes and constants; each node gets a fresh output name."""

    def __init__(self) -> None:
        self.nodes: list[helper.NodeProto] = []
        self.constants: list[TensorProto] = []

    def const(self, value: np.ndarray | float | list[int], dtype: type = np.float32) -> str:
        name = f"c{len(self.constants)}"
        self.constants.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, kind: str, *inputs: str, output: str | None = None, **attributes: Any) -> str:
        name = output or f"n{len(self.nodes)}"
        self.nodes.append(helper.make_node(kind, list(inputs), [name], **attributes))
        return name


def build_model(folder: Path) -> bytes:
    """The serialized ONNX model of the BERT config and weights in ``folder``."""
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    size = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    eps = float(config["layer_norm_eps"])
    head_size = size // heads
    w = load_file(str(folder / "model.safetensors"))
    g = _Graph()

    def layer_norm(x: str, prefix: str) -> str:
        weight, bias = g.const(w[f"{prefix}.weight"]), g.const(w[f"{prefix}.bias"])
        return g.op("LayerNormalization", x, weight, bias, axis=-1, epsilon=eps)

    def linear(x: str, prefix: str) -> str:
        # PyTorch stores a linear layer as [out, in]; MatMul wants [in, out].
        weight = g.const(np.ascontiguousarray(w[f"{prefix}.weight"].T))
        return g.op("Add", g.op("MatMul", x, weight), g.const(w[f"{prefix}.bias"]))

    ids, mask = INPUTS
    length = g.op("Squeeze", g.op("Shape", ids, start=1, end=2), g.const([0], np.int64))
    positions = g.op("Range", g.const(0, np.int64), length, g.const(1, np.int64))
    x = g.op(
        "Add",
        g.op(
            "Add",
            g.op("Gather", g.const(w["embeddings.word_embeddings.weight"]), ids),
            g.op("Gather", g.const(w["embeddings.position_embeddings.weight"]), positions),
        ),
        g.const(w["embeddings.token_type_embeddings.weight"][0]),
    )
    x = layer_norm(x, "embeddings.LayerNorm")
    # Padding gets the lowest float added to its attention scores: [batch, 1, 1, length].
    padding = g.op(
        "Mul",
        g.op("Sub", g.const(1.0), g.op("Unsqueeze", mask, g.const([1, 2], np.int64))),
        g.const(float(np.finfo(np.float32).min)),
    )
    by_head = g.const([0, 0, heads, head_size], np.int64)
    joined = g.const([0, 0, size], np.int64)
    scale = g.const(1.0 / np.sqrt(head_size))
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}."
        q = g.op("Reshape", linear(x, p + "attention.self.query"), by_head)
        k = g.op("Reshape", linear(x, p + "attention.self.key"), by_head)
        v = g.op("Reshape", linear(x, p + "attention.self.value"), by_head)
        q, k = g.op("Transpose", q, perm=[0, 2, 1, 3]), g.op("Transpose", k, perm=[0, 2, 3, 1])
        scores = g.op("MatMul", q, k)
        scores = g.op("Add", g.op("Mul", scores, scale), padding)
        context = g.op(
            "MatMul", g.op("Softmax", scores, axis=-1), g.op("Transpose", v, perm=[0, 2, 1, 3])
        )
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), joined)
        x = layer_norm(
            g.op("Add", linear(context, p + "attention.output.dense"), x),
            p + "attention.output.LayerNorm",
        )
        # BERT's "gelu" is the exact one, with erf, not the tanh approximation.
        up = linear(x, p + "intermediate.dense")
        erf = g.op("Erf", g.op("Div", up, g.const(np.sqrt(2.0))))
        gelu = g.op("Mul", g.op("Mul", up, g.const(0.5)), g.op("Add", erf, g.const(1.0)))
        x = layer_norm(g.op("Add", linear(gelu, p + "output.dense"), x), p + "output.LayerNorm")
    weights = g.op("Unsqueeze", mask, g.const([2], np.int64))
    axis = g.const([1], np.int64)
    summed = g.op("ReduceSum", g.op("Mul", x, weights), axis, keepdims=0)
    count = g.op("Max", g.op("ReduceSum", weights, axis, keepdims=0), g.const(1e-9))
    g.op("LpNormalization", g.op("Div", summed, count), axis=-1, p=2, output=OUTPUT)
    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info(mask, TensorProto.FLOAT, ["batch", "length"]),
        ],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", size])],
        g.constants,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    return bytes(model.SerializeToString())
