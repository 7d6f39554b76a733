#!/usr/bin/env bash
# Starts a real NVIDIA Triton Inference Server on loopback (the `tritonserver` bundled in
# nvidia-pytriton: Triton 2.51.0, CPU, Python backend), serving a Python-backend copy of a production
# model repository (generate-python-backend-repository.py). Test tooling: the interop tier's harness
# (gateway/test/interop/triton-server.ts) runs it; so can you:
#
#   scripts/triton/start-triton.sh [options] [REPO_DIR]        REPO_DIR defaults to triton-models
#     --http-port P, --grpc-port P, --metrics-port P   defaults 8000, 8001, 8002
#     --work-dir DIR        holds the generated repository/ and backends/, both recreated at every
#                           start (default .cache/triton-server)
#     --shm-prefix NAME     prefix of the Python backend's /dev/shm regions (default triton-<pid>-)
#     --intra-op-threads N  ONNX Runtime threads per model instance (default 1)
#     --max-lifetime SEC    hard limit: SIGTERM after SEC seconds, SIGKILL 10 s later (default none)
#     --no-dynamic-batching drop the models' dynamic_batching blocks (Triton runs requests alone)
#     --model-control-mode M  none (default) or explicit: every model loaded at start
#                           (--load-model=*) and the repository API may load/unload models
#     --trace-config SETTING  passed to tritonserver as --trace-config=SETTING (repeatable), e.g.
#                           mode=opentelemetry, opentelemetry,url=http://127.0.0.1:4318/v1/traces
#     --in-place            serve REPO_DIR itself, not a generated copy: `onnxruntime_onnx` models
#                           run on a Python-based backend named onnxruntime, so files written into
#                           REPO_DIR (a control plane's version folders, config.pbtxt) are what
#                           Triton loads; --no-dynamic-batching and --intra-op-threads do not
#                           apply (ONNX Runtime runs 1 intra-op thread)
#
# Needs .venv-triton (scripts/setup.sh --interop; TRITON_VENV overrides the path). The server replaces
# this script (same pid) and gets SIGTERM when the process that started the script dies.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/scripts/triton"

http_port=8000 grpc_port=8001 metrics_port=8002
work_dir="$ROOT/.cache/triton-server" shm_prefix="triton-$$-" threads=1 lifetime=0 repo=""
generator_flags=() control_flags=() trace_flags=() in_place=0
while [ $# -gt 0 ]; do
  case "$1" in
    --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;  # --opt=value as --opt value
    --http-port) http_port="$2"; shift 2 ;;
    --grpc-port) grpc_port="$2"; shift 2 ;;
    --metrics-port) metrics_port="$2"; shift 2 ;;
    --work-dir) work_dir="$2"; shift 2 ;;
    --shm-prefix) shm_prefix="$2"; shift 2 ;;
    --intra-op-threads) threads="$2"; shift 2 ;;
    --max-lifetime) lifetime="$2"; shift 2 ;;
    --no-dynamic-batching) generator_flags+=(--no-dynamic-batching); shift ;;
    --model-control-mode)
      case "$2" in
        none) control_flags=() ;;
        explicit) control_flags=(--model-control-mode=explicit '--load-model=*') ;;
        *) echo "start-triton.sh: --model-control-mode must be none or explicit" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --in-place) in_place=1; shift ;;
    --trace-config) trace_flags+=("--trace-config=$2"); shift 2 ;;
    -h | --help) sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "start-triton.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) repo="$1"; shift ;;
  esac
done
repo="$(cd "${repo:-$ROOT/triton-models}" && pwd)"

venv="${TRITON_VENV:-$ROOT/.venv-triton}"
python="$venv/bin/python"
if ! paths="$("$python" -c 'import sys, sysconfig
print(sysconfig.get_paths()["purelib"]); print(sysconfig.get_config_var("LIBDIR"))
print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null)"; then
  echo "start-triton.sh: no Python at $python: run scripts/setup.sh --interop" >&2
  exit 3
fi
{ read -r site_packages; read -r python_libdir; read -r python_version; } <<<"$paths"
server="$site_packages/pytriton/tritonserver"
stub="$server/python_backend_stubs/$python_version/triton_python_backend_stub"
if [ ! -x "$server/bin/tritonserver" ] || [ ! -x "$stub" ]; then
  echo "start-triton.sh: no tritonserver for Python $python_version in $venv" \
    "(nvidia-pytriton missing): run scripts/setup.sh --interop" >&2
  exit 3
fi

# The Python backend runs its stub (built for this Python) from the backend directory, next to
# triton_python_backend_utils.py; copied file by file (the wheel's folder also has a __pycache__).
rm -rf "$work_dir/repository" "$work_dir/backends"
mkdir -p "$work_dir/backends/python"
cp "$server"/backends/python/*.so "$server"/backends/python/*.py "$stub" "$work_dir/backends/python/"
backend_flags=(--backend-config=python,shm-region-prefix-name="$shm_prefix")
if [ "$in_place" = 1 ]; then
  if [ ${#generator_flags[@]} -gt 0 ]; then
    echo "start-triton.sh: --no-dynamic-batching needs the generated copy (drop --in-place)" >&2
    exit 2
  fi
  # Triton's Python-based backends: a backend folder with a model.py instead of a shared library.
  mkdir -p "$work_dir/backends/onnxruntime"
  cp "$HERE/onnxruntime_python_model.py" "$work_dir/backends/onnxruntime/model.py"
  backend_flags+=(--backend-config=onnxruntime,shm-region-prefix-name="$shm_prefix")
  served="$repo"
else
  "$python" "$HERE/generate-python-backend-repository.py" --intra-op-threads "$threads" \
    "${generator_flags[@]}" "$repo" "$work_dir/repository" >/dev/null
  served="$work_dir/repository"
fi

echo "triton: http 127.0.0.1:$http_port, grpc 127.0.0.1:$grpc_port," \
  "metrics 127.0.0.1:$metrics_port, repository $served (from $repo)" >&2

limit=()
[ "$lifetime" != 0 ] && limit=(timeout --kill-after=10 "$lifetime")
# LD_LIBRARY_PATH: the wheel's vendored libraries (libcudart, ...) and libpython for the stub.
# PATH: the stub's Python imports numpy/onnxruntime from the venv.
export LD_LIBRARY_PATH="$site_packages/nvidia_pytriton.libs:$python_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$venv/bin:$PATH"
exec setpriv --pdeathsig TERM -- "${limit[@]}" "$server/bin/tritonserver" \
  --model-repository="$served" \
  --backend-directory="$work_dir/backends" \
  --cache-directory="$server/caches" \
  "${backend_flags[@]}" \
  --http-address=127.0.0.1 --http-port="$http_port" \
  --grpc-address=127.0.0.1 --grpc-port="$grpc_port" \
  --metrics-address=127.0.0.1 --metrics-port="$metrics_port" \
  --allow-gpu-metrics=false \
  "${control_flags[@]}" \
  "${trace_flags[@]}" \
  --exit-timeout-secs=5
