#!/usr/bin/env bash
# Installs everything batchgate needs to build, test and run its local stack.
# Idempotent: skips apt when every package is present, skips npm ci when node_modules matches the lockfile.
#   deploy/install-deps.sh --fuzz   also clang, for the libFuzzer targets (tests/run.sh --fuzz)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

apt_packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev sqlite3
  nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libpugixml-dev libsimdjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl bc wrk hyperfine nodejs npm
)
# Debian's clang brings libFuzzer and the sanitizer runtimes (libclang-rt-*-dev).
if [ "${1:-}" = "--fuzz" ]; then apt_packages+=(clang); fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v node >/dev/null 2>&1; then
    # Node is already provided by the machine; don't replace it with Debian's.
    filtered=()
    for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
    missing=("${filtered[@]}")
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python side of the local stack: moto (S3 stand-in) and botocore (checks the Bedrock emulator).
if ! python3 -c 'import moto, boto3, flask' >/dev/null 2>&1; then
  echo "install-deps: python3 lacks moto/boto3; the local S3 stand-in needs them" >&2
  exit 1
fi

# Node test tooling (OpenAI SDK, AWS SDK for the Bedrock emulator check).
if [ -f "$root/tests/e2e/package-lock.json" ]; then
  stamp="$root/tests/e2e/node_modules/.lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s "$stamp" "$root/tests/e2e/package-lock.json"; then
    (cd "$root/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$root/tests/e2e/package-lock.json" "$stamp"
  fi
fi
echo "install-deps: ok"
