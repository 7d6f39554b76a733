#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian/Ubuntu machine with Node 20 and Python 3:
#   scripts/setup.sh          everything to run the gateway and the control plane
#   scripts/setup.sh --test   plus what the test suite needs (Python reference tools, Postgres, Redis)
#   scripts/setup.sh --interop  plus a real Triton Inference Server for the interop tier
# Idempotent: each step is skipped when already done.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

node_major="$(node -p 'process.versions.node.split(".")[0]')"
node_minor="$(node -p 'process.versions.node.split(".")[1]')"
if [ "$node_major" -lt 20 ] || { [ "$node_major" = 20 ] && [ "$node_minor" -lt 19 ]; }; then
  echo "Node >= 20.19 is required (found $(node --version))" >&2
  exit 1
fi

# ffmpeg extracts frames from the sample clip; opencv-doc's sample data is fetched with apt-get download.
ensure_debian_packages ffmpeg ffmpeg

lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  log "installing npm dependencies"
  # `npm install`, not `npm ci`: the lock file holds only the platform packages this registry
  # serves (no darwin/win32 builds of swc, buf, ...), which `npm ci` rejects as out of sync.
  npm install --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.lock-hash
fi

log "fetching sample media"
scripts/fetch-sample-media.sh

if [[ " $* " == *" --test "* ]]; then
  ensure_debian_packages /usr/lib/postgresql/*/bin/initdb,python3 postgresql python3-venv
  # A real Redis for the shared rate limits and their outage tests (gateway/test/redis-server.ts).
  ensure_debian_packages redis-server redis-server
  # A real Prometheus for the canary analysis' PromQL source (control-plane/test/support/prometheus-server.ts).
  ensure_debian_packages /usr/bin/prometheus prometheus
  # A real browser for the CORS tests (gateway/test/browser/), driven by playwright-core.
  ensure_debian_packages /usr/bin/chromium chromium
  req_hash="$(sha256sum scripts/requirements-test.txt | cut -d' ' -f1)"
  if [ "$(cat .venv/.requirements-hash 2>/dev/null)" != "$req_hash" ]; then
    log "creating the Python test environment (.venv)"
    python3 -m venv .venv
    .venv/bin/pip install --disable-pip-version-check -q -r scripts/requirements-test.txt
    echo "$req_hash" > .venv/.requirements-hash
  fi
  # A real MLflow tracking server for the control plane's lineage tests
  # (control-plane/test/support/mlflow-server.ts), in its own venv: ~850 MB of dependencies that
  # nothing else needs. Recreated from scratch whenever scripts/requirements-mlflow.txt changes.
  mlflow_hash="$(sha256sum scripts/requirements-mlflow.txt | cut -d' ' -f1)"
  if [ "$(cat .venv-mlflow/.requirements-hash 2>/dev/null)" != "$mlflow_hash" ]; then
    log "creating the MLflow server environment (.venv-mlflow)"
    rm -rf .venv-mlflow
    python3 -m venv .venv-mlflow
    .venv-mlflow/bin/pip install --disable-pip-version-check -q -r scripts/requirements-mlflow.txt
    echo "$mlflow_hash" > .venv-mlflow/.requirements-hash
  fi
  # motmetrics for the tracker's MOT metrics conformance (libs/vision-tracking/test-reference/
  # mot_metrics.py), in its own venv: it needs numpy < 2 and .venv has numpy 2. Recreated from
  # scratch whenever scripts/requirements-mot.txt changes.
  mot_hash="$(sha256sum scripts/requirements-mot.txt | cut -d' ' -f1)"
  if [ "$(cat .venv-mot/.requirements-hash 2>/dev/null)" != "$mot_hash" ]; then
    log "creating the MOT metrics environment (.venv-mot)"
    rm -rf .venv-mot
    python3 -m venv .venv-mot
    .venv-mot/bin/pip install --disable-pip-version-check -q -r scripts/requirements-mot.txt
    echo "$mot_hash" > .venv-mot/.requirements-hash
  fi
  # A real OTLP receiver for the tracing tests (gateway/test/tracing/jaeger-server.ts): Jaeger
  # all-in-one, built from the tool module scripts/tools/jaeger (go.mod/go.sum pin it) into
  # .cache/jaeger. Go's own module and build caches (outside the repository) make a rebuild after
  # a fresh clone take seconds; the first build from nothing took 7 minutes on two cores.
  jaeger_hash="$(cat scripts/tools/jaeger/go.mod scripts/tools/jaeger/go.sum | sha256sum | cut -d' ' -f1)"
  if [ ! -x .cache/jaeger ] || [ "$(cat .cache/jaeger.hash 2>/dev/null)" != "$jaeger_hash" ]; then
    command -v go >/dev/null || { echo "Go is needed to build Jaeger for the tracing tests (https://go.dev/dl/)" >&2; exit 1; }
    log "building Jaeger all-in-one (.cache/jaeger) for the tracing tests"
    mkdir -p .cache
    (cd scripts/tools/jaeger && go build -o "$ROOT/.cache/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger)
    echo "$jaeger_hash" > .cache/jaeger.hash
  fi
  log "fetching the TF.js NanoDet original for the conversion check"
  triton-models/nanodet/conversion/fetch-source-model.sh >/dev/null
  log "fetching the appearance model's original weights for its conversion check"
  PYTHON=.venv/bin/python triton-models/appearance-mobilenetv2/conversion/fetch-source-model.sh >/dev/null
fi

# --interop: a real Triton Inference Server for the interop tier
# (npm run test:interop): the tritonserver bundled in nvidia-pytriton, in its own .venv-triton
# (numpy 1.x: Triton 2.51's Python backend returns empty outputs with numpy 2). Recreated from
# scratch whenever scripts/requirements-triton.txt changes (--no-deps: the file pins the closure).
if [[ " $* " == *" --interop "* ]]; then
  ensure_debian_packages python3 python3 python3-venv
  glibc="$(getconf GNU_LIBC_VERSION | awk '{print $2}')"
  if [ "$(printf '%s\n' 2.35 "$glibc" | sort -V | sed -n 1p)" != 2.35 ]; then
    echo "the interop tier's tritonserver (nvidia-pytriton) needs glibc >= 2.35, found $glibc" >&2
    exit 1
  fi
  triton_hash="$(sha256sum scripts/requirements-triton.txt | cut -d' ' -f1)"
  if [ "$(cat .venv-triton/.requirements-hash 2>/dev/null)" != "$triton_hash" ]; then
    log "creating the real Triton environment (.venv-triton)"
    rm -rf .venv-triton
    python3 -m venv .venv-triton
    .venv-triton/bin/pip install --disable-pip-version-check -q --no-deps \
      -r scripts/requirements-triton.txt
    echo "$triton_hash" > .venv-triton/.requirements-hash
  fi
fi
