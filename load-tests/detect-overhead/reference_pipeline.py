"""The detect benchmark's reference pipeline: NanoDet detect with OpenCV and numpy, one thread.

What a good hand-written Python service would do for the same call: cv2.imdecode → resize and pad
exactly as the gateway plans it (libs/vision-math/src/geometry.ts planPreprocess) →
cv2.dnn.blobFromImage (1/255, BGR→RGB, NCHW) → the same ONNX file through cv2.dnn → GFL decode in
numpy (threshold on the best class score before any softmax) → cv2.dnn.NMSBoxesBatched → boxes back
to source pixels. Each stage's CPU (time.process_time_ns: every thread of this process) is summed
over the iterations, per image.

Reads a JSON spec on stdin: {"model", "images": [{"name", "path"}], "iterations", "warmup",
"inputWidth", "inputHeight", "resize": "letterbox"|"stretch", "strides", "regMax",
"scoreThreshold", "iouThreshold", "maxDetections", "topK", "centerOffset"}.
Writes JSON on stdout: {"versions", "images": [{"name", "width", "height", "cpuMs": {stage: mean
per call}, "detections": [{"classId", "score", "box"}]}]}.
"""
import json
import math
import sys
import time

import cv2
import numpy as np

STAGES = ("decode", "preprocess", "model", "postprocess")


def plan(src_w: int, src_h: int, dst_w: int, dst_h: int, mode: str) -> dict:
    """planPreprocess of geometry.ts: Math.round is half up, so floor(x + 0.5), not round()."""
    if mode == "stretch":
        return {"sx": dst_w / src_w, "sy": dst_h / src_h, "left": 0, "top": 0, "w": dst_w, "h": dst_h}
    r = min(dst_w / src_w, dst_h / src_h)
    w = min(dst_w, max(1, math.floor(src_w * r + 0.5)))
    h = min(dst_h, max(1, math.floor(src_h * r + 0.5)))
    return {
        "sx": w / src_w,
        "sy": h / src_h,
        "left": (dst_w - w) // 2,
        "top": (dst_h - h) // 2,
        "w": w,
        "h": h,
    }


def preprocess(image: np.ndarray, p: dict, dst_w: int, dst_h: int) -> np.ndarray:
    resized = cv2.resize(image, (p["w"], p["h"]), interpolation=cv2.INTER_LINEAR)
    padded = cv2.copyMakeBorder(
        resized,
        p["top"],
        dst_h - p["h"] - p["top"],
        p["left"],
        dst_w - p["w"] - p["left"],
        cv2.BORDER_CONSTANT,
        value=(0, 0, 0),
    )
    return cv2.dnn.blobFromImage(padded, scalefactor=1 / 255, swapRB=True)


def decode(outputs: dict, spec: dict) -> tuple:
    """Candidates (boxes x1y1x2y2 in model pixels, scores, classes), best topK first."""
    threshold = spec["scoreThreshold"]
    bins = np.arange(spec["regMax"] + 1, dtype=np.float32)
    width, height = spec["inputWidth"], spec["inputHeight"]
    boxes, scores, classes = [], [], []
    for stride in spec["strides"]:
        cls = outputs[f"cls_s{stride}"].reshape(-1, outputs[f"cls_s{stride}"].shape[-1])
        reg = outputs[f"reg_s{stride}"].reshape(cls.shape[0], 4, -1)
        # The gate: only cells whose best class passes pay for the distance softmax.
        cells = np.flatnonzero(cls.max(axis=1) >= threshold)
        if cells.size == 0:
            continue
        logits = reg[cells]
        e = np.exp(logits - logits.max(axis=2, keepdims=True))
        dist = (e @ bins) / e.sum(axis=2) * stride
        feature_width = math.ceil(width / stride)
        cx = (cells % feature_width + spec["centerOffset"]) * stride
        cy = (cells // feature_width + spec["centerOffset"]) * stride
        cell_boxes = np.stack(
            [
                np.clip(cx - dist[:, 0], 0, width),
                np.clip(cy - dist[:, 1], 0, height),
                np.clip(cx + dist[:, 2], 0, width),
                np.clip(cy + dist[:, 3], 0, height),
            ],
            axis=1,
        )
        # Every class of a passing cell that reaches the threshold is a candidate (multi-label).
        cell_scores = cls[cells]
        at, cls_ids = np.nonzero(cell_scores >= threshold)
        boxes.append(cell_boxes[at])
        scores.append(cell_scores[at, cls_ids])
        classes.append(cls_ids)
    if not boxes:
        return np.zeros((0, 4)), np.zeros(0, np.float32), np.zeros(0, np.int64)
    boxes, scores, classes = np.concatenate(boxes), np.concatenate(scores), np.concatenate(classes)
    top = np.argsort(-scores, kind="stable")[: spec["topK"]]
    return boxes[top], scores[top], classes[top]


def postprocess(outputs: dict, spec: dict, p: dict, src_w: int, src_h: int) -> list:
    boxes, scores, classes = decode(outputs, spec)
    if scores.size == 0:
        return []
    xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)
    # Candidates already passed the threshold (OpenCV's own test is strict: score > threshold).
    kept = cv2.dnn.NMSBoxesBatched(
        xywh, scores, classes, 0.0, spec["iouThreshold"], top_k=spec["maxDetections"]
    )
    kept = np.asarray(kept, dtype=np.int64).reshape(-1)
    mapped = boxes[kept].copy()
    mapped[:, [0, 2]] = np.clip((mapped[:, [0, 2]] - p["left"]) / p["sx"], 0, src_w)
    mapped[:, [1, 3]] = np.clip((mapped[:, [1, 3]] - p["top"]) / p["sy"], 0, src_h)
    return [
        {"classId": int(classes[k]), "score": float(scores[k]), "box": [float(v) for v in box]}
        for k, box in zip(kept, mapped)
    ]


def main() -> None:
    spec = json.load(sys.stdin)
    cv2.setNumThreads(1)
    net = cv2.dnn.readNetFromONNX(spec["model"])
    names = [f"{kind}_s{stride}" for kind in ("cls", "reg") for stride in spec["strides"]]
    dst_w, dst_h = spec["inputWidth"], spec["inputHeight"]
    results = []
    for image in spec["images"]:
        with open(image["path"], "rb") as file:
            encoded = np.frombuffer(file.read(), dtype=np.uint8)
        totals = dict.fromkeys(STAGES, 0)
        detections = []
        for iteration in range(spec["warmup"] + spec["iterations"]):
            clock = [time.process_time_ns()]
            bgr = cv2.imdecode(encoded, cv2.IMREAD_COLOR)  # applies EXIF orientation, as the gateway
            clock.append(time.process_time_ns())
            src_h, src_w = bgr.shape[:2]
            p = plan(src_w, src_h, dst_w, dst_h, spec["resize"])
            blob = preprocess(bgr, p, dst_w, dst_h)
            clock.append(time.process_time_ns())
            net.setInput(blob, "images")
            outputs = dict(zip(names, net.forward(names)))
            clock.append(time.process_time_ns())
            detections = postprocess(outputs, spec, p, src_w, src_h)
            clock.append(time.process_time_ns())
            if iteration >= spec["warmup"]:
                for index, stage in enumerate(STAGES):
                    totals[stage] += clock[index + 1] - clock[index]
        results.append(
            {
                "name": image["name"],
                "width": src_w,
                "height": src_h,
                "cpuMs": {stage: totals[stage] / spec["iterations"] / 1e6 for stage in STAGES},
                "detections": detections,
            }
        )
    json.dump({"versions": {"opencv": cv2.__version__, "numpy": np.__version__}, "images": results}, sys.stdout)


if __name__ == "__main__":
    main()
