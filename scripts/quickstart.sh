#!/usr/bin/env bash
# One command from a fresh clone: installs, builds and runs the gateway (embedded ONNX Runtime
# backend, ports 8080/8081) and the control plane (PGlite, port 4000) in the foreground.
# If one of them exits, it is reported with its status and the other keeps running; Ctrl-C stops
# both.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# `wait -n -p` (below: which process ended) came with bash 5.1 (Debian 11, Ubuntu 22.04).
if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then
  echo "scripts/quickstart.sh needs bash 5.1 or newer (this is $BASH_VERSION)" >&2
  exit 1
fi
cd "$ROOT"

scripts/setup.sh
log "building"
npm run --silent build

# The admin API key: made once (by libs/auth's generator), kept in .data/ and passed as
# GATEWAY_BOOTSTRAP_API_KEY and CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY, so every run of both apps
# answers to the same key.
key_file="$ROOT/.data/quickstart-api-key"
if [ ! -s "$key_file" ]; then
  mkdir -p "$(dirname "$key_file")"
  (umask 077 && node -e \
    "process.stdout.write(require('./dist/gateway/libs/auth/src/api-keys/api-key-format').generateApiKey().key)" \
    >"$key_file")
  log "created an admin API key in .data/quickstart-api-key"
fi
# The key is passed through the environment and never printed: the terminal (and its scrollback,
# screen recordings, CI logs) shows where it is, not what it is.
if [ -n "${GATEWAY_BOOTSTRAP_API_KEY:-}" ]; then
  key_source="GATEWAY_BOOTSTRAP_API_KEY (set by you)"
  key_header='x-api-key: $GATEWAY_BOOTSTRAP_API_KEY'
else
  GATEWAY_BOOTSTRAP_API_KEY="$(cat "$key_file")"
  key_source=".data/quickstart-api-key"
  key_header='x-api-key: $(cat .data/quickstart-api-key)'
fi
export GATEWAY_BOOTSTRAP_API_KEY
export CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY="${CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY:-$GATEWAY_BOOTSTRAP_API_KEY}"

# The model repository both apps serve: a working copy of triton-models/ under .data/, because the
# control plane writes into the repository it manages (registered versions, config.pbtxt) and the
# checked-in folder must stay as committed.
if [ -z "${MODEL_REPOSITORY:-}" ]; then
  MODEL_REPOSITORY="$ROOT/.data/model-repository"
  if [ ! -d "$MODEL_REPOSITORY" ]; then
    for model_dir in triton-models/*/; do
      model="$(basename "$model_dir")"
      mkdir -p "$MODEL_REPOSITORY/$model"
      # config, labels and version folders; not the conversion tooling beside them.
      find "$model_dir" -mindepth 1 -maxdepth 1 \( -type f -o -regex '.*/[0-9]+' \) \
        -exec cp -r {} "$MODEL_REPOSITORY/$model/" \;
    done
    log "copied triton-models/ to .data/model-repository (the repository the control plane manages)"
  fi
fi
export MODEL_REPOSITORY
# The control plane loads versions on the gateway's embedded backend through its repository API.
export CONTROL_PLANE_BACKENDS="${CONTROL_PLANE_BACKENDS:-gateway=127.0.0.1:${GATEWAY_GRPC_PORT:-8081}}"
export CONTROL_PLANE_BACKEND_API_KEY="${CONTROL_PLANE_BACKEND_API_KEY:-$GATEWAY_BOOTSTRAP_API_KEY}"
# The gateway follows the control plane's deployments (canaries, shadows, rollbacks) over its
# routing stream, and serves its last-known table whenever the control plane is away.
if [ -z "${GATEWAY_ROUTING_FILE:-}" ]; then
  export GATEWAY_CONTROL_PLANE_ADDRESS="${GATEWAY_CONTROL_PLANE_ADDRESS:-127.0.0.1:${CONTROL_PLANE_GRPC_PORT:-4001}}"
  export GATEWAY_CONTROL_PLANE_API_KEY="${GATEWAY_CONTROL_PLANE_API_KEY:-$CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY}"
fi

export NODE_ENV="${NODE_ENV:-production}"
names=(gateway control-plane)
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
  local url="$1" name="$2" pid="$3"
  for _ in $(seq 1 120); do
    curl -fs "$url" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "$name exited during start-up (its output is above)" >&2; return 1; }
    sleep 0.5
  done
  echo "$name did not become ready at $url" >&2
  return 1
}
wait_ready "http://127.0.0.1:${GATEWAY_HTTP_PORT:-8080}/readyz" gateway "${pids[0]}"
wait_ready "http://127.0.0.1:${CONTROL_PLANE_PORT:-4000}/healthz" control-plane "${pids[1]}"

cat <<MSG

  gateway        http://localhost:${GATEWAY_HTTP_PORT:-8080}  (KServe v2 /v2, vision /v1, /metrics)
                 grpc://localhost:${GATEWAY_GRPC_PORT:-8081}  (inference.GRPCInferenceService, vision.v1.VisionService)
  control plane  http://localhost:${CONTROL_PLANE_PORT:-4000}/graphql
                 grpc://localhost:${CONTROL_PLANE_GRPC_PORT:-4001}  (control.v1.RoutingService: the gateways' routing watch)

  admin API key: in ${key_source} (not printed)

  try:  curl -H "${key_header}" -H 'content-type: application/json' -d '{"query":"{ models { nodes { name versions { nodes { version status } } } } }"}' localhost:${CONTROL_PLANE_PORT:-4000}/graphql
        curl -H "${key_header}" -H 'content-type: image/jpeg' --data-binary @.cache/sample-media/messi5.jpg localhost:${GATEWAY_HTTP_PORT:-8080}/v1/models/nanodet/detect

MSG

# Each process's end is reported as it happens; the other keeps serving (a gateway crash must not
# take the registry down with it, nor the other way round). The script ends when both have ended,
# with a failure status if either failed.
name_of() {
  local index
  for index in "${!pids[@]}"; do
    if [ "${pids[$index]}" = "$1" ]; then echo "${names[$index]}"; fi
  done
}
failed=0
running=("${pids[@]}")
while [ "${#running[@]}" -gt 0 ]; do
  ended="" status=0
  wait -n -p ended "${running[@]}" || status=$?
  [ -n "$ended" ] || break
  if [ "$status" = 0 ]; then
    log "$(name_of "$ended") exited"
  else
    failed=1
    log "$(name_of "$ended") exited with status $status (its output is above, prefixed [$(name_of "$ended")])"
  fi
  remaining=()
  for pid in "${running[@]}"; do
    if [ "$pid" != "$ended" ]; then remaining+=("$pid"); fi
  done
  running=("${remaining[@]}")
  for pid in "${running[@]}"; do log "$(name_of "$pid") is still running; Ctrl-C stops it"; done
done
exit "$failed"
