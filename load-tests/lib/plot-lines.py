"""Line charts for the benchmarks: reads a JSON figure spec on stdin, writes one PNG.

Spec: {"output": path, "title": str, "panels": [{"title", "xlabel", "ylabel", "logy"?: bool,
"logx2"?: bool (log-2 x axis ticked at the data's x values),
"series": [{"label", "x": [...], "y": [...], "style"?: "line"|"step"|"points"}],
"marks"?: [{"x": number, "label": str}]}]}. Panels stack vertically and share nothing.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    spec = json.load(sys.stdin)
    panels = spec["panels"]
    figure, axes = plt.subplots(len(panels), 1, figsize=(9, 3.2 * len(panels)), squeeze=False)
    for axis, panel in zip(axes[:, 0], panels):
        for series in panel["series"]:
            style = series.get("style", "line")
            if style == "step":
                axis.step(series["x"], series["y"], where="post", label=series["label"])
            elif style == "points":
                axis.plot(series["x"], series["y"], ".", markersize=3, label=series["label"])
            else:
                axis.plot(series["x"], series["y"], marker="o", markersize=3, label=series["label"])
        for mark in panel.get("marks", []):
            axis.axvline(mark["x"], color="grey", linestyle="--", linewidth=1)
            axis.annotate(mark["label"], (mark["x"], 1), xycoords=("data", "axes fraction"),
                          rotation=90, va="top", ha="right", fontsize=8, color="grey")
        if panel.get("logy"):
            axis.set_yscale("log")
        if panel.get("logx2"):
            axis.set_xscale("log", base=2)
            ticks = sorted({x for series in panel["series"] for x in series["x"]})
            axis.set_xticks(ticks, [f"{x:g}" for x in ticks])
        axis.set_title(panel["title"], fontsize=10)
        axis.set_xlabel(panel["xlabel"])
        axis.set_ylabel(panel["ylabel"])
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(spec["title"], fontsize=11)
    figure.tight_layout()
    figure.savefig(spec["output"], dpi=110)


if __name__ == "__main__":
    main()
