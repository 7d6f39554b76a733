"""Reference ByteTrack: supervision 0.30.9's sv.ByteTrack (the last release that has it).

stdin:  {"warmupRuns": n (default 1), "timedRuns": n (default 1), "runs": [{
            "settings": {"trackThresh", "matchThresh", "trackBuffer", "frameRate"},
            "frames": [[[x1, y1, x2, y2, score], ...] per frame]}, ...]}
stdout: {"supervision": "<version>", "results": [{
            "ids":      [[tracker id of each input detection, -1 when none] per frame],
            "matched":  [[id of the track that detection updated inside the tracker, -1] per frame],
            "msPerFrame": [time of update_with_detections per frame, mean of the timed runs]}
          per run]}

Two passes per sequence:
- timed: the plain tracker, warmed up on the same sequence first, then run timedRuns times; only
  update_with_detections is timed (perf_counter). Its "ids" are sv's public output, mapped back to
  input order through a data column (sv keeps only tracked detections, so positions change).
- instrumented: the same tracker driven through update_with_tensors (which update_with_detections
  calls), with STrack's __init__/update/re_activate/activate wrapped to note which detection each
  track consumed. update_with_detections does not say: it re-derives the detection of every output
  track by a second IoU assignment (cost 1 - IoU, limit 0.5) against the Kalman-updated boxes,
  which can pick another detection than the one the track was updated with. "matched" is the true
  association; it equals "ids" except where that re-derivation differs.
"""

import json
import sys
import time
import warnings

import numpy as np
import supervision as sv
from supervision.tracker.byte_tracker import core
from supervision.tracker.byte_tracker.single_object_track import STrack

# sv.ByteTrack is deprecated in 0.30 (removed in 0.31); the notice says nothing about behaviour.
warnings.filterwarnings("ignore")


def make_tracker(settings):
    return sv.ByteTrack(
        track_activation_threshold=settings["trackThresh"],
        lost_track_buffer=settings["trackBuffer"],
        minimum_matching_threshold=settings["matchThresh"],
        frame_rate=settings["frameRate"],
        minimum_consecutive_frames=1,
    )


def to_detections(frame):
    boxes = np.asarray([row[:4] for row in frame], dtype=np.float64).reshape(-1, 4)
    scores = np.asarray([row[4] for row in frame], dtype=np.float64)
    return sv.Detections(
        xyxy=boxes,
        confidence=scores,
        class_id=np.zeros(len(frame), dtype=int),
        data={"input_index": np.arange(len(frame))},
    )


def public_ids(result, count):
    ids = [-1] * count
    if len(result) == 0:  # sv then returns Detections.empty(), without the data column
        return ids
    for index, tracker_id in zip(result.data["input_index"], result.tracker_id):
        ids[int(index)] = int(tracker_id)
    return ids


def timed_pass(settings, frames, warmup_runs, timed_runs):
    inputs = [to_detections(frame) for frame in frames]
    for _ in range(warmup_runs):
        tracker = make_tracker(settings)
        for detections in inputs:
            tracker.update_with_detections(detections)
    total_ms = [0.0] * len(frames)
    for _ in range(max(1, timed_runs)):
        tracker = make_tracker(settings)
        ids = []
        for f, detections in enumerate(inputs):
            start = time.perf_counter()
            result = tracker.update_with_detections(detections)
            total_ms[f] += (time.perf_counter() - start) * 1000
            ids.append(public_ids(result, len(frames[f])))
    return ids, [ms / max(1, timed_runs) for ms in total_ms]


class Instrument:
    """Wraps STrack so that each detection STrack knows its input index, and each track the
    index of the detection it last consumed. Within one update sv builds the detection STracks
    in a known order (high-score ones, then low-score ones, each in input order), so the k-th one
    built is the k-th index of `order`."""

    def __init__(self):
        self.order = []
        self.built = 0
        self.originals = {}

    def __enter__(self):
        instrument = self
        init, update, re_activate, activate = (
            STrack.__init__, STrack.update, STrack.re_activate, STrack.activate)
        self.originals = {"__init__": init, "update": update,
                          "re_activate": re_activate, "activate": activate}

        def wrapped_init(track, *args, **kwargs):
            init(track, *args, **kwargs)
            track.input_index = instrument.order[instrument.built]
            instrument.built += 1

        def wrapped_update(track, new_track, frame_id):
            update(track, new_track, frame_id)
            track.consumed = new_track.input_index

        def wrapped_re_activate(track, new_track, frame_id):
            re_activate(track, new_track, frame_id)
            track.consumed = new_track.input_index

        def wrapped_activate(track, kalman_filter, frame_id):
            activate(track, kalman_filter, frame_id)
            track.consumed = track.input_index

        STrack.__init__ = wrapped_init
        STrack.update = wrapped_update
        STrack.re_activate = wrapped_re_activate
        STrack.activate = wrapped_activate
        return self

    def __exit__(self, *exc):
        for name, original in self.originals.items():
            setattr(STrack, name, original)

    def expect(self, tensors, threshold):
        valid = np.flatnonzero(core._valid_tracking_tensors(tensors))
        scores = tensors[valid, 4]
        high = valid[scores >= threshold]
        low = valid[(scores > 0.1) & (scores < threshold)]
        self.order = [int(i) for i in high] + [int(i) for i in low]
        self.built = 0


def instrumented_pass(settings, frames):
    tracker = make_tracker(settings)
    matched = []
    with Instrument() as instrument:
        for frame in frames:
            detections = to_detections(frame)
            tensors = np.hstack((detections.xyxy, detections.confidence[:, None]))
            instrument.expect(tensors, settings["trackThresh"])
            # The tracks the tracker outputs, before update_with_detections maps them back.
            tracks = tracker.update_with_tensors(tensors)
            if instrument.built != len(instrument.order):
                raise RuntimeError("sv built a different number of detection tracks than expected")
            ids = [-1] * len(frame)
            for track in tracks:
                ids[track.consumed] = int(track.external_track_id)
            matched.append(ids)
    return matched


def main():
    request = json.load(sys.stdin)
    warmup_runs = int(request.get("warmupRuns", 1))
    timed_runs = int(request.get("timedRuns", 1))
    results = []
    for run in request["runs"]:
        settings, frames = run["settings"], run["frames"]
        ids, ms = timed_pass(settings, frames, warmup_runs, timed_runs)
        matched = instrumented_pass(settings, frames)
        results.append({"ids": ids, "matched": matched, "msPerFrame": ms})
    json.dump({"supervision": sv.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
