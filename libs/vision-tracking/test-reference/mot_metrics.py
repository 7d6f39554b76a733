"""MOT metrics with motmetrics 1.4.0 (run in .venv-mot: it needs numpy < 2).

  mot_metrics.py --data-dir   prints the folder of the TUD-Campus / TUD-Stadtmitte data it ships
  mot_metrics.py              stdin:  {"sequences": [{"name": "TUD-Campus",
                                        "trackers": {"<label>": [[frame, id, x, y, w, h], ...]}}]}
                              stdout: {"motmetrics": "<version>",
                                       "bundled": {"<sequence>": metrics of its bundled test.txt},
                                       "results": {"<sequence>": {"<label>": metrics}}}
Metrics are {"mota", "idf1", "idSwitches", "motp", "falsePositives", "misses"}, computed as the
motmetrics README does (ground truth with confidence >= 1, IoU distance, match below 0.5), so the
bundled test.txt reproduces its published table.
"""

import json
import os
import sys

import motmetrics as mm
import numpy as np
import pandas as pd

DATA_DIR = os.path.join(os.path.dirname(mm.__file__), "data")
METRICS = ["mota", "idf1", "num_switches", "motp", "num_false_positives", "num_misses"]


def ground_truth(sequence):
    path = os.path.join(DATA_DIR, sequence, "gt.txt")
    return mm.io.loadtxt(path, fmt="mot15-2D", min_confidence=1)


def as_frame(rows):
    """Tracker rows in the shape mm.io.loadtxt gives (FrameId, Id index; X, Y, Width, Height)."""
    table = pd.DataFrame(rows, columns=["FrameId", "Id", "X", "Y", "Width", "Height"])
    table["Confidence"] = 1.0
    table["ClassId"] = -1
    table["Visibility"] = -1
    table = table.astype({"FrameId": np.int64, "Id": np.int64})
    return table.set_index(["FrameId", "Id"]).sort_index()


def summarize(gt, tracks):
    accumulator = mm.utils.compare_to_groundtruth(gt, tracks, "iou", distth=0.5)
    row = mm.metrics.create().compute(accumulator, metrics=METRICS, name="sequence").iloc[0]
    return {
        "mota": float(row["mota"]),
        "idf1": float(row["idf1"]),
        "idSwitches": int(row["num_switches"]),
        "motp": float(row["motp"]),
        "falsePositives": int(row["num_false_positives"]),
        "misses": int(row["num_misses"]),
    }


def main():
    if "--data-dir" in sys.argv:
        print(DATA_DIR)
        return
    request = json.load(sys.stdin)
    bundled, results = {}, {}
    for sequence in request["sequences"]:
        name = sequence["name"]
        gt = ground_truth(name)
        test = mm.io.loadtxt(os.path.join(DATA_DIR, name, "test.txt"), fmt="mot15-2D")
        bundled[name] = summarize(gt, test)
        results[name] = {
            label: summarize(gt, as_frame(rows)) for label, rows in sequence["trackers"].items()
        }
    json.dump({"motmetrics": mm.__version__, "bundled": bundled, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
