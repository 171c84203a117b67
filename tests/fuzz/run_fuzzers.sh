#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for the given seconds on a copy of its
# seed corpus (tests/run.sh --fuzz calls this). Prints one line per target with libFuzzer's executions count
# and exits non-zero when any target found a crash, a leak, a timeout or an out-of-memory.
#   tests/fuzz/run_fuzzers.sh [seconds] [build jobs] [target...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

seconds="${1:-60}"
jobs="${2:-$(nproc)}"
shift $(($# > 2 ? 2 : $#))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(multipart batch_file collector s3_xml sigv4 config http_path)

build=build-fuzz
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# -O1 and assertions on: the code's asserts are checks the fuzzer should reach.
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DBATCHGATE_FUZZ=ON -DBATCHGATE_TESTS=OFF \
  -DBATCHGATE_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
  "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$jobs" --target fuzzers

# Per-target libFuzzer options (without -max_len, libFuzzer takes the largest corpus file as the limit). The
# config loader (yaml-cpp) is slow on long inputs; the collector keeps small inputs beside large reproducers.
options_for() {
  case "$1" in
    config) echo "-max_len=1024" ;;
    collector) echo "-max_len=4096" ;;
    *) echo "" ;;
  esac
}

failed=0
for target in "${targets[@]}"; do
  work="$build/fuzz-run/$target"
  rm -rf "$work"
  mkdir -p "$work/corpus"
  cp tests/fuzz/corpus/"$target"/* "$work/corpus/"
  set +e
  # shellcheck disable=SC2046
  "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/" $(options_for "$target") "$work/corpus" >"$work/log" 2>&1
  status=$?
  set -e
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
  findings=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) | sort)
  if [ "$status" -eq 0 ] && [ -z "$findings" ]; then
    printf '%-11s %12s executions  ok\n' "$target" "${executions:-?}"
    continue
  fi
  failed=1
  printf '%-11s %12s executions  FINDING (exit %s), log: %s\n' "$target" "${executions:-?}" "$status" \
    "$work/log"
  for f in $findings; do echo "  input: $f"; done
  grep -E 'ERROR|check failed|SUMMARY' "$work/log" | head -n 5 | sed 's/^/  /'
done
exit "$failed"
