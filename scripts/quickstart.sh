#!/usr/bin/env bash
# One command from a fresh clone: installs, builds and runs the gateway (embedded ONNX Runtime
# backend, ports 8080/8081) and the control plane (PGlite, port 4000) in the foreground.
# Ctrl-C stops both.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

scripts/setup.sh
log "building"
npm run --silent build

# The gateway's admin API key: made once (by the gateway's own generator), kept in .data/ and
# passed as GATEWAY_BOOTSTRAP_API_KEY, so every run answers to the same key.
key_file="$ROOT/.data/quickstart-api-key"
if [ ! -s "$key_file" ]; then
  mkdir -p "$(dirname "$key_file")"
  (umask 077 && node -e \
    "process.stdout.write(require('./dist/gateway/gateway/src/auth/api-keys/api-key-format').generateApiKey().key)" \
    >"$key_file")
  log "created an admin API key in .data/quickstart-api-key"
fi
api_key="$(cat "$key_file")"
export GATEWAY_BOOTSTRAP_API_KEY="${GATEWAY_BOOTSTRAP_API_KEY:-$api_key}"

export NODE_ENV="${NODE_ENV:-production}"
pids=()
stop() {
  trap - INT TERM EXIT
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

MALLOC_MMAP_THRESHOLD_=131072 node --initial-old-space-size=256 --expose-gc dist/gateway/gateway/src/main.js > >(sed -u 's/^/[gateway] /') 2>&1 &
pids+=($!)
node dist/control-plane/control-plane/src/main.js > >(sed -u 's/^/[control-plane] /') 2>&1 &
pids+=($!)

wait_ready() {
  local url="$1" name="$2"
  for _ in $(seq 1 120); do
    curl -fs "$url" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "$name did not become ready at $url" >&2
  return 1
}
wait_ready "http://127.0.0.1:${GATEWAY_HTTP_PORT:-8080}/readyz" gateway
wait_ready "http://127.0.0.1:${CONTROL_PLANE_PORT:-4000}/healthz" control-plane

cat <<MSG

  gateway        http://localhost:${GATEWAY_HTTP_PORT:-8080}  (KServe v2 /v2, vision /v1, /metrics)
                 grpc://localhost:${GATEWAY_GRPC_PORT:-8081}  (inference.GRPCInferenceService, vision.v1.VisionService)
  control plane  http://localhost:${CONTROL_PLANE_PORT:-4000}/graphql

  admin API key (in .data/quickstart-api-key): ${GATEWAY_BOOTSTRAP_API_KEY}

  try:  curl -H "x-api-key: ${GATEWAY_BOOTSTRAP_API_KEY}" -H 'content-type: image/jpeg' --data-binary @.cache/sample-media/messi5.jpg localhost:${GATEWAY_HTTP_PORT:-8080}/v1/models/nanodet/detect

MSG
wait -n "${pids[@]}"
