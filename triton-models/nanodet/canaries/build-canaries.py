#!/usr/bin/env python3
"""Builds the bad canaries of the canary-analysis acceptance test from NanoDet-m's ONNX graph.

    .venv/bin/python triton-models/nanodet/canaries/build-canaries.py OUT_DIR [--source model.onnx]

Writes OUT_DIR/<variant>/model.onnx for four variants (see README.md), checks each with
onnx.checker and prints one line per variant: its sha256 and what it is. Deterministic: the same
source gives byte-identical files (fixed constants, no timestamps).
"""
import argparse
import copy
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEFAULT_SOURCE = os.path.join(ROOT, "triton-models", "nanodet", "1", "model.onnx")

INPUT = "images"
CLASS_OUTPUTS = ("cls_s8", "cls_s16", "cls_s32")
NUM_CLASSES = 80
# Two cells of the coarsest stride, so every level's grid moves by whole cells; 64 px, not 32, so
# that even large boxes fall below IoU 0.5 with their originals (a square box matches after a d-px
# diagonal move only when its side exceeds about 5.4 d: 348 px here, most of the 416 px input).
SHIFT_PIXELS = 64
# k -> (7k + 3) mod 80 is a permutation of the 80 classes (7 is coprime to 80) with no fixed
# point (7k + 3 = k mod 80 has no solution: 6k = 77 mod 80 would need 6k odd).
CLASS_PERMUTATION = [(7 * k + 3) % NUM_CLASSES for k in range(NUM_CLASSES)]
# Wasted work of the slow variant: SLOW_MATMULS products of SLOW_SIZE x SLOW_SIZE matrices per call,
# about 2 * 1024^3 = 2.1 GFLOP each: ~21 GFLOP against NanoDet-m's ~1.2 GFLOP at 416x416
# (3-4x slower measured with ONNX Runtime on 2 CPU threads; matrix kernels run faster than convs).
SLOW_SIZE = 1024
SLOW_MATMULS = 10


def rename_input(graph, old, new):
    """Feeds every node that read `old` from `new` instead (the graph input keeps its name)."""
    for node in graph.node:
        for index, name in enumerate(node.input):
            if name == old:
                node.input[index] = new


def rename_output(graph, old, new):
    """The node producing graph output `old` now produces `new`: a new node can produce `old`."""
    for node in graph.node:
        for index, name in enumerate(node.output):
            if name == old:
                node.output[index] = new


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def faithful(model):
    """Same graph and weights; only the model's doc_string differs, so the bytes (and sha256) do."""
    model.doc_string = "canary: faithful copy of NanoDet-m (same graph, same weights)"
    return model


def shifted(model):
    """The image moves SHIFT_PIXELS right and down inside the graph (Pad top/left, Slice back to
    416x416): every box the model finds moves by as much, its class and score mostly intact."""
    graph = model.graph
    rename_input(graph, INPUT, "canary_shifted_images")
    graph.initializer.extend(
        [
            const("canary_shift_pads", np.array([0, 0, SHIFT_PIXELS, SHIFT_PIXELS, 0, 0, 0, 0], np.int64)),
            const("canary_shift_starts", np.array([0, 0], np.int64)),
            const("canary_shift_ends", np.array([416, 416], np.int64)),
            const("canary_shift_axes", np.array([2, 3], np.int64)),
        ]
    )
    nodes = [
        helper.make_node("Pad", [INPUT, "canary_shift_pads"], ["canary_padded_images"], mode="constant"),
        helper.make_node(
            "Slice",
            ["canary_padded_images", "canary_shift_starts", "canary_shift_ends", "canary_shift_axes"],
            ["canary_shifted_images"],
        ),
    ]
    for node in reversed(nodes):
        graph.node.insert(0, node)
    model.doc_string = f"canary: NanoDet-m on the image shifted {SHIFT_PIXELS} px right and down"
    return model


def scrambled(model):
    """Class scores permuted across classes (Gather on the class axis): boxes and scores stay,
    labels are wrong. Output class k holds the score the original gives class CLASS_PERMUTATION[k]."""
    graph = model.graph
    graph.initializer.append(const("canary_class_permutation", np.array(CLASS_PERMUTATION, np.int64)))
    for output in CLASS_OUTPUTS:
        original = f"canary_unscrambled_{output}"
        rename_output(graph, output, original)
        graph.node.append(
            helper.make_node("Gather", [original, "canary_class_permutation"], [output], axis=2)
        )
    model.doc_string = "canary: NanoDet-m with its 80 class scores permuted"
    return model


def slow(model):
    """Same outputs, several times the work: a chain of large MatMuls seeded from the input (so it
    cannot be constant-folded), reduced to a scalar, multiplied by 0 and added to cls_s8. x + 0 is x
    exactly; ONNX Runtime does not remove x * 0 (it would change NaN and Inf), so the chain runs.
    The matrix is orthogonal: values keep their size along the chain and never overflow."""
    graph = model.graph
    rng = np.random.default_rng(20260513)
    # A signed permutation matrix: orthogonal and exact in float32 (no LAPACK, so the same bytes on
    # every machine); to the MatMul kernel it is an ordinary dense matrix.
    orthogonal = np.zeros((SLOW_SIZE, SLOW_SIZE))
    orthogonal[np.arange(SLOW_SIZE), rng.permutation(SLOW_SIZE)] = rng.choice([-1.0, 1.0], SLOW_SIZE)
    seed = rng.random((SLOW_SIZE, SLOW_SIZE)) / SLOW_SIZE
    graph.initializer.extend(
        [
            const("canary_slow_seed", seed.astype(np.float32)),
            const("canary_slow_weight", orthogonal.astype(np.float32)),
            const("canary_slow_zero", np.array(0.0, np.float32)),
        ]
    )
    nodes = [
        helper.make_node("ReduceMean", [INPUT], ["canary_slow_mean"], keepdims=0),
        helper.make_node("Mul", ["canary_slow_seed", "canary_slow_mean"], ["canary_slow_0"]),
    ]
    for step in range(SLOW_MATMULS):
        nodes.append(
            helper.make_node("MatMul", [f"canary_slow_{step}", "canary_slow_weight"], [f"canary_slow_{step + 1}"])
        )
    nodes += [
        helper.make_node("ReduceSum", [f"canary_slow_{SLOW_MATMULS}"], ["canary_slow_sum"], keepdims=0),
        helper.make_node("Mul", ["canary_slow_sum", "canary_slow_zero"], ["canary_slow_nothing"]),
    ]
    rename_output(graph, "cls_s8", "canary_fast_cls_s8")
    nodes.append(helper.make_node("Add", ["canary_fast_cls_s8", "canary_slow_nothing"], ["cls_s8"]))
    graph.node.extend(nodes)
    model.doc_string = f"canary: NanoDet-m plus {SLOW_MATMULS} wasted {SLOW_SIZE}x{SLOW_SIZE} MatMuls per call"
    return model


VARIANTS = {"faithful": faithful, "shifted": shifted, "scrambled": scrambled, "slow": slow}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--source", default=DEFAULT_SOURCE)
    args = parser.parse_args()
    source = onnx.load(args.source)
    for name, build in VARIANTS.items():
        model = build(copy.deepcopy(source))
        onnx.checker.check_model(model, full_check=True)
        directory = os.path.join(args.out_dir, name)
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, "model.onnx")
        data = model.SerializeToString(deterministic=True)
        with open(path, "wb") as file:
            file.write(data)
        print(f"{hashlib.sha256(data).hexdigest()}  {name}  {model.doc_string}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
