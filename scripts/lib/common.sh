# Shared by the project's scripts: logging and privileged installs of Debian packages.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# apt-get install the given Debian packages unless every command in $1 (comma-separated) exists.
ensure_debian_packages() {
  local commands="$1"
  shift
  local missing=0 command
  for command in ${commands//,/ }; do
    [ -x "$command" ] || command -v "$command" >/dev/null 2>&1 || missing=1
  done
  [ "$missing" = 0 ] && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  log "installing Debian packages: $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
