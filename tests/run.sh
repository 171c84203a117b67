#!/usr/bin/env bash
# Installs what is missing, builds batchgate (strict warnings), runs every test, and prints
# "N passed, N failed" as its last line.
#   tests/run.sh              the whole suite (what CI runs)
#   tests/run.sh --sanitize   the same under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   tests/run.sh -R regex     only the tests whose names match
#   tests/run.sh --fuzz [s]   builds the libFuzzer targets with clang (build-fuzz/) and runs each for s seconds
#                             (default 60) on a copy of its seed corpus; non-zero on any finding
#                             (tests/fuzz/README.md)
# JOBS=n limits the build's parallel jobs (default: every core).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHGATE_WERROR=ON -DBATCHGATE_TESTS=ON -DBATCHGATE_BENCH=OFF)
ctest_args=()
fuzz_seconds=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) build_dir=build-asan; cmake_args+=(-DBATCHGATE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
    --fuzz)
      fuzz_seconds=60
      if [[ "${2:-}" =~ ^[0-9]+$ ]]; then fuzz_seconds="$2"; shift; fi ;;
    -R) ctest_args+=(-R "$2"); shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

jobs="${JOBS:-$(nproc)}"
if [ -n "$fuzz_seconds" ]; then
  bash deploy/install-deps.sh --fuzz
  exec bash tests/fuzz/run_fuzzers.sh "$fuzz_seconds" "$jobs"
fi

bash deploy/install-deps.sh
# Tests talk to loopback only: the AWS credential chain must never try the EC2 instance metadata address.
export AWS_EC2_METADATA_DISABLED=true

cmake -S . -B "$build_dir" -G Ninja "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j"$jobs"

log="$build_dir/ctest.log"
set +e
ctest --test-dir "$build_dir" --output-on-failure --timeout 600 -j"$jobs" "${ctest_args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
if [ -z "$summary" ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
failed=$(echo "$summary" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
total=$(echo "$summary" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
echo "$((total - failed)) passed, $failed failed"
exit "$status"
