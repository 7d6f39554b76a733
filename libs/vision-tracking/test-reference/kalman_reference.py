"""Reference Kalman filter: supervision 0.30.9's ByteTrack KalmanFilter, on float64 inputs.

stdin:  {"steps": [{"op": "initiate" | "predict" | "update", "xyah": [x, y, a, h] (initiate and
         update)}, ...]}
stdout: {"states": [{"mean": [8], "covariance": [64, row-major]} after each step],
         "multiPredict": [same as "states" but with multi_predict for the predict steps]}
The tracker predicts all tracks at once with multi_predict; both paths are given so the test can
hold ours to each.
"""

import json
import sys

import numpy as np
from supervision.tracker.byte_tracker.kalman_filter import KalmanFilter


def run(steps, batched):
    kalman = KalmanFilter()
    mean = covariance = None
    states = []
    for step in steps:
        if step["op"] == "initiate":
            mean, covariance = kalman.initiate(np.asarray(step["xyah"], dtype=np.float64))
        elif step["op"] == "predict" and batched:
            means, covariances = kalman.multi_predict(mean[None, :], covariance[None, :, :])
            mean, covariance = means[0], covariances[0]
        elif step["op"] == "predict":
            mean, covariance = kalman.predict(mean, covariance)
        else:
            measurement = np.asarray(step["xyah"], dtype=np.float64)
            mean, covariance = kalman.update(mean, covariance, measurement)
        states.append({"mean": mean.tolist(), "covariance": covariance.reshape(-1).tolist()})
    return states


def main():
    steps = json.load(sys.stdin)["steps"]
    json.dump({"states": run(steps, False), "multiPredict": run(steps, True)}, sys.stdout)


if __name__ == "__main__":
    main()
