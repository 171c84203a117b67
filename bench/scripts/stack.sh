# Sourced by the benchmark scripts: starts the local stack (bedrock-emulator, and moto_server when S3 is moto)
# and batchgate in $BENCH_DIR, with batchgate_settings overrides given as "key: value" lines in $BENCH_SETTINGS
# (and lines for claude-batch's model_info in $BENCH_MODEL_INFO). $BENCH_S3 picks the S3: "emulator" (default,
# the emulator's in-memory S3, so that S3 is not what a benchmark measures) or "moto" (deploy/local/up.sh's
# BATCHGATE_LOCAL_S3).
# BATCHGATE_BIN runs another batchgate binary on the same stand-ins (A/B runs against an older build).
# Sets: url, master, batchgate_pid. Registers a trap that stops everything.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BATCHGATE_BUILD_DIR:-$root/build}"
BENCH_DIR="${BENCH_DIR:-$(mktemp -d /tmp/batchgate-bench-XXXXXX)}"
batchgate_pid=""

bench_stop() {
  if [ -n "$batchgate_pid" ] && kill -0 "$batchgate_pid" 2>/dev/null; then
    kill -TERM "$batchgate_pid"; wait "$batchgate_pid" 2>/dev/null || true
  fi
  BATCHGATE_LOCAL_DIR="$BENCH_DIR/stack" bash "$root/deploy/local/down.sh" >/dev/null 2>&1 || true
}
trap bench_stop EXIT

bench_start() {
  BATCHGATE_LOCAL_DIR="$BENCH_DIR/stack" BEDROCK_EMULATOR_BIN="$build/deploy/bedrock-emulator/bedrock-emulator" \
    BATCHGATE_LOCAL_S3="${BENCH_S3:-emulator}" bash "$root/deploy/local/up.sh" >/dev/null
  # shellcheck disable=SC1091
  source "$BENCH_DIR/stack/stack.env"
  export BATCHGATE_MASTER_KEY="sk-bench-master-key"
  export BATCHGATE_DB="$BENCH_DIR/batchgate.db"
  master="$BATCHGATE_MASTER_KEY"
  sed -e 's/^\(  port:\).*/\1 0/' "$root/deploy/config.example.yaml" > "$BENCH_DIR/config.yaml"
  if [ -n "${BENCH_SETTINGS:-}" ]; then
    while IFS= read -r line; do
      key="${line%%:*}"
      sed -i "s/^\(  $key:\).*/  $line/" "$BENCH_DIR/config.yaml"
    done <<< "$BENCH_SETTINGS"
  fi
  # Lines for claude-batch's model_info (after its "mode: batch"), given in $BENCH_MODEL_INFO.
  if [ -n "${BENCH_MODEL_INFO:-}" ]; then
    python3 - "$BENCH_DIR/config.yaml" "$BENCH_MODEL_INFO" <<'PY'
import sys
path, extra = sys.argv[1], sys.argv[2]
text = open(path).read()
anchor = "      mode: batch"
at = text.index(anchor) + len(anchor)
at = text.index("\n", at) + 1
open(path, "w").write(text[:at] + extra + "\n" + text[at:])
PY
  fi
  "${BATCHGATE_BIN:-$build/server/batchgate}" --config "$BENCH_DIR/config.yaml" >"$BENCH_DIR/access.log" 2>"$BENCH_DIR/batchgate.log" &
  batchgate_pid=$!
  local port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$BENCH_DIR/batchgate.log" | head -n 1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$BENCH_DIR/batchgate.log" >&2; return 1; }
  url="http://127.0.0.1:$port"
}

# Peak resident set (VmHWM, kB) of a pid.
peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
# CPU time (user + system, seconds) a pid has used so far.
cpu_seconds() {
  local ticks
  ticks=$(awk '{print $14 + $15}' "/proc/$1/stat")
  echo "$ticks / $(getconf CLK_TCK)" | bc -l
}
