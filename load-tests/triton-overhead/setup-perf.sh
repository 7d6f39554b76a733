#!/usr/bin/env bash
# Creates .venv-perf with NVIDIA perf_analyzer and Envoy (see load-tests/requirements-perf.txt) if it
# is missing or broken, installs Debian's nginx when absent (the other anchor; needs root), and prints
# the path of a wrapper that runs perf_analyzer with its libraries. libb64 comes from
# `apt-get download` (Debian's package, unpacked, not installed).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${PERF_VENV:-$ROOT/.venv-perf}"
WRAPPER="$VENV/bin/perf-analyzer-run"

works() {
  [[ -x "$WRAPPER" ]] && "$WRAPPER" --version >/dev/null 2>&1 &&
    "$VENV/bin/python" -c 'import envoy' >/dev/null 2>&1
}

if ! command -v nginx >/dev/null 2>&1 && ! [[ -x /usr/sbin/nginx ]]; then
  echo "installing nginx (Debian) for the proxy anchor" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >&2
fi

if ! works; then
  echo "setting up $VENV (perf_analyzer)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --no-deps -r "$ROOT/load-tests/requirements-perf.txt" >&2
  libs="$VENV/lib/perf-libs"
  mkdir -p "$libs"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  chmod 755 "$work" # apt-get download drops privileges to _apt for the download
  (cd "$work" && apt-get download libb64-0d >&2)
  dpkg-deb -x "$work"/libb64-0d_*.deb "$work/x"
  cp -a "$work"/x/usr/lib/x86_64-linux-gnu/libb64.so.0d* "$libs/"
  cudart="$("$VENV/bin/python" -c 'import nvidia.cuda_runtime, os; print(os.path.join(list(nvidia.cuda_runtime.__path__)[0], "lib"))')"
  cat >"$WRAPPER" <<WRAP
#!/usr/bin/env bash
export LD_LIBRARY_PATH="$libs:$cudart\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
exec "$VENV/bin/perf_analyzer" "\$@"
WRAP
  chmod +x "$WRAPPER"
  if ! works; then
    echo "perf_analyzer does not run:" >&2
    "$WRAPPER" --version 2>&1 | head -5 >&2 || true
    exit 1
  fi
fi
echo "$WRAPPER"
