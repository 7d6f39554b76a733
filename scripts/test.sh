#!/usr/bin/env bash
# Installs what the tests need and runs all of them: static checks, the unit and end-to-end suites
# (real gateway, real control plane on PGlite and on a real Postgres server, a real Redis server for
# shared rate limits, OpenCV as the NMS reference, NVIDIA's tritonclient), the interop tier (a real
# Triton Inference Server) and the checks that the committed ONNX models match their originals.
# Under CI=true nothing may be skipped: a missing tool or server fails the run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$ROOT/scripts/lib/postgres.sh"
source "$ROOT/scripts/lib/jest-report.sh"
cd "$ROOT"

scripts/setup.sh --test --interop
export CI="${CI:-true}"
export PYTHON="$ROOT/.venv/bin/python"

log "static checks: generated contracts, format, lint, types"
npm run --silent generate:check
npx prettier --check . --log-level warn
npx eslint . --max-warnings 0
npx tsc -p tsconfig.json --noEmit

log "starting a throwaway Postgres server on 127.0.0.1"
trap stop_test_postgres EXIT
start_test_postgres

log "unit and end-to-end tests"
run_jest jest

log "interop tier: a real Triton Inference Server"
run_jest interop -c jest.interop.config.mjs

log "conversion checks: committed ONNX models vs their originals"
for check in triton-models/nanodet/conversion/verify-nanodet-tfjs.mjs \
  triton-models/appearance-mobilenetv2/conversion/verify-embedder.mjs; do
  if node "$check"; then
    PASSED=$((PASSED + 1))
  else
    FAILED=$((FAILED + 1))
  fi
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
