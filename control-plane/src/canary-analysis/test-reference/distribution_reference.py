"""Reference statistics for canary-checks.spec.ts, computed independently with numpy and scipy.

Reads JSON on stdin: {"pairs": [[binsA, binsB], ...], "samples": [[x, ...], ...]} and writes
{"psi": [...], "ks": [...], "p99": [...], "versions": {...}} on stdout.

- psi: population stability index of B against A on proportions, an empty bin's proportion taken
  as 1e-4 (the rule canary-checks documents).
- ks: scipy.stats.ks_2samp's statistic on samples expanded from the bins (every sample of bin i
  placed at i).
- p99: numpy.quantile(samples, 0.99) of the raw samples (linear interpolation).
"""
import json
import sys

import numpy as np
import scipy
from scipy.stats import ks_2samp

EMPTY_BIN_PROPORTION = 1e-4


def psi(expected, actual):
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    pe = e / e.sum()
    pa = a / a.sum()
    pe = np.where(e == 0, EMPTY_BIN_PROPORTION, pe)
    pa = np.where(a == 0, EMPTY_BIN_PROPORTION, pa)
    return float(np.sum((pa - pe) * np.log(pa / pe)))


def ks(first, second):
    x = np.repeat(np.arange(len(first)), np.asarray(first, dtype=int))
    y = np.repeat(np.arange(len(second)), np.asarray(second, dtype=int))
    return float(ks_2samp(x, y).statistic)


def main():
    cases = json.load(sys.stdin)
    pairs = cases["pairs"]
    json.dump(
        {
            "psi": [psi(a, b) for a, b in pairs],
            "ks": [ks(a, b) for a, b in pairs],
            "p99": [float(np.quantile(np.asarray(s, dtype=float), 0.99)) for s in cases["samples"]],
            "versions": {"numpy": np.__version__, "scipy": scipy.__version__},
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
