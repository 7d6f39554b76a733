#!/usr/bin/env python3
"""Check triton-models/nanodet/1/model.onnx against the TF graph it came from.

For each sample image: run the TF graph rebuilt from the TF.js files (the
unmodified batch-1 graph) and the ONNX model (onnxruntime, CPU) on the same
input tensor and print the max abs diff of each output. Then check batching:
ONNX with a batch of all images must equal the per-image batch-1 runs, and
the batch-dynamic TF graph (the one that was converted) must match too.

The resize here is TF's bilinear, not sharp's; both sides get the very same
tensor, so it does not matter for the comparison (see verify-nanodet-tfjs.mjs
for the comparison against TF.js with the gateway's preprocessing).

Exits non-zero if any diff exceeds --tol.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_nanodet as cv  # noqa: E402  (sets TF log level before importing TF)

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402

SAMPLES = ["messi5.jpg", "basketball1.png", "vtest-frames/frame-01.png"]


def load_image(path):
    """RGB, plain (aspect-distorting) resize to 416x416, [0,1], NCHW float32."""
    img = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    img = tf.image.resize(tf.cast(img, tf.float32), (416, 416), method="bilinear")
    return (img.numpy() / 255.0).transpose(2, 0, 1).astype(np.float32)


def tf_runner(graph_def):
    graph = cv._import(graph_def)
    sess = tf.compat.v1.Session(graph=graph)
    fetches = [graph.get_tensor_by_name(n) for n in cv.OUTPUTS]
    feed = graph.get_tensor_by_name(cv.INPUT_NODE + ":0")
    return lambda x: dict(zip(cv.OUTPUTS.values(), sess.run(fetches, {feed: x})))


def max_diffs(a, b):
    return {k: float(np.max(np.abs(a[k] - b[k]))) for k in cv.OUTPUTS.values()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", default=cv.DEFAULT_PACKAGE)
    ap.add_argument("--model", default=cv.DEFAULT_OUTPUT)
    ap.add_argument("--media", default=os.path.join(cv.REPO_ROOT, ".cache", "sample-media"))
    # Same float32 network, different kernels (TF Eigen vs ORT MLAS conv,
    # summation order): rounding noise, measured ~1e-6 (cls), ~2e-5 (reg).
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()

    graph_def, _ = cv.load_tfjs_graph(args.package)
    run_tf = tf_runner(graph_def)  # original graph, batch fixed to 1
    run_tf_dyn = tf_runner(cv.make_batch_dynamic(graph_def))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1  # 2-core box; also gives a stable latency figure
    sess = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]

    def run_ort(x):
        return dict(zip(names, sess.run(None, {"images": x})))

    worst = 0.0
    per_output = dict.fromkeys(cv.OUTPUTS.values(), 0.0)
    images = np.stack([load_image(os.path.join(args.media, s)) for s in SAMPLES])
    singles, refs = [], []
    for name, img in zip(SAMPLES, images):
        x = img[None]
        ref, out = run_tf(x), run_ort(x)
        singles.append(out)
        refs.append(ref)
        d = max_diffs(ref, out)
        worst = max(worst, *d.values())
        per_output = {k: max(v, d[k]) for k, v in per_output.items()}
        print(f"ORT vs TF  {name:28s} " + " ".join(f"{k}={v:.2e}" for k, v in d.items()))
        best = np.unravel_index(np.argmax(out["cls_s8"][0]), out["cls_s8"][0].shape)
        print(f"  max cls_s8 score {out['cls_s8'][0].max():.4f} at anchor {best[0]} class {best[1]}")
    print("ORT vs TF, max over images: " + " ".join(f"{k}={v:.2e}" for k, v in per_output.items()))

    batched = run_ort(images)
    tf_batched = run_tf_dyn(images)
    for i, name in enumerate(SAMPLES):
        d = max_diffs({k: v[i:i + 1] for k, v in batched.items()}, singles[i])
        d2 = max_diffs({k: v[i:i + 1] for k, v in tf_batched.items()}, refs[i])
        worst = max(worst, *d.values(), *d2.values())
        print(f"batch{len(SAMPLES)}[{i}] vs batch1: ORT {max(d.values()):.2e}, "
              f"batch-dynamic TF graph vs original TF graph {max(d2.values()):.2e}")

    x = images[:1]
    for _ in range(3):
        run_ort(x)
    n, t0 = 20, time.perf_counter()
    for _ in range(n):
        run_ort(x)
    print(f"ORT CPU batch 1, 1 thread: {(time.perf_counter() - t0) / n * 1000:.1f} ms/image "
          f"(ort {ort.__version__})")

    print(f"worst diff {worst:.2e} (tol {args.tol:g})")
    return 0 if worst <= args.tol else 1


if __name__ == "__main__":
    sys.exit(main())
