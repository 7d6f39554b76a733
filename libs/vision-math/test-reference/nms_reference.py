"""Reference class-aware NMS: OpenCV's cv2.dnn.NMSBoxesBatched.

stdin:  {"scenes": [{"boxes": [[x1, y1, x2, y2], ...], "scores": [...], "classIds": [...],
                     "iouThreshold": t, "scoreThreshold": s (optional, default 0)}, ...]}
stdout: {"opencv": "<version>", "kept": [[kept indices, highest score first], ...]}

Semantics of the Python binding (checked against opencv-python-headless 4.13, see nms.conformance.spec.ts):
- boxes are cv::Rect2d (x, y, w, h) in doubles, IoU = inter / union with area = w * h (no "+1");
  two zero-area boxes count as IoU 1 there (ours: 0), so scenes use positive-area boxes;
- a box survives the score filter only if score > score_threshold (strict);
- a box is suppressed when IoU > nms_threshold (strict), IoU computed in float32;
- candidates are ranked with a stable sort by score, so ties keep input order;
- class awareness is done by offsetting each box by class_id * (max_coordinate + 1), which separates
  classes only for non-negative coordinates;
- top_k caps the candidates *before* NMS, so it is left at 0 (no cap) here.
"""

import json
import sys

import cv2


def run_scene(scene):
    boxes = [(x1, y1, x2 - x1, y2 - y1) for x1, y1, x2, y2 in scene["boxes"]]
    if not boxes:
        return []
    kept = cv2.dnn.NMSBoxesBatched(
        boxes,
        scene["scores"],
        scene["classIds"],
        float(scene.get("scoreThreshold", 0.0)),
        float(scene["iouThreshold"]),
    )
    return [int(i) for i in kept]


def main():
    request = json.load(sys.stdin)
    result = {"opencv": cv2.__version__, "kept": [run_scene(s) for s in request["scenes"]]}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
