#!/usr/bin/env bash
# Sample media for tests, docs and benchmarks: OpenCV's own sample data, taken from Debian's
# `opencv-doc` package (BSD-3-Clause / Apache-2.0, see .cache/sample-media/COPYRIGHT) rather than
# committed, so the repository carries no third-party media.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/sample-media"
if [[ -f "$dest/.complete" ]]; then exit 0; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download opencv-doc >/dev/null 2>&1 || { apt-get update -qq && apt-get download opencv-doc; })
dpkg-deb -x "$work"/opencv-doc_*.deb "$work/x"
data="$work/x/usr/share/doc/opencv-doc/examples/data"
mkdir -p "$dest/vtest-frames"
cp "$data"/{messi5.jpg,basketball1.png,basketball2.png,fruits.jpg,home.jpg,building.jpg,vtest.avi} "$dest/"
cp "$data/dnn/object_detection_classes_coco.txt" "$dest/"
cp "$work/x/usr/share/doc/opencv-doc/copyright" "$dest/COPYRIGHT"
# A handful of frames of the pedestrian clip, as PNG, for still-image tests and docs.
ffmpeg -loglevel error -y -i "$dest/vtest.avi" -vf "select='not(mod(n\,100))'" -vsync vfr -frames:v 8 \
  "$dest/vtest-frames/frame-%02d.png"
touch "$dest/.complete"
echo "sample media in $dest"
