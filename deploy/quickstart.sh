#!/usr/bin/env bash
# The main job, end to end on one machine: installs what is missing, builds batchgate and the Bedrock
# emulator, starts the local stack (moto_server as S3 + bedrock-emulator), starts batchgate, creates a
# virtual key, and runs a sample batch of 120 requests through the official OpenAI Node SDK:
# upload → create → poll → download. It stops everything it started when it ends.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash deploy/install-deps.sh
# The same build tree and options as tests/run.sh, so the two commands share one build.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHGATE_WERROR=ON -DBATCHGATE_TESTS=ON \
  -DBATCHGATE_BENCH=OFF >/dev/null
cmake --build build --target batchgate bedrock-emulator -j"$(nproc)"

state="$root/.local/quickstart"
rm -rf "$state"
mkdir -p "$state"
batchgate_pid=""
cleanup() {
  if [ -n "$batchgate_pid" ] && kill -0 "$batchgate_pid" 2>/dev/null; then
    kill -TERM "$batchgate_pid"
    wait "$batchgate_pid" 2>/dev/null || true
  fi
  BATCHGATE_LOCAL_DIR="$state" bash deploy/local/down.sh >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== starting the local stack (moto_server S3 + bedrock-emulator)"
# The emulator processes 40 records a second, so the status progression is visible.
BATCHGATE_LOCAL_DIR="$state" BEDROCK_EMULATOR_BIN="$root/build/deploy/bedrock-emulator/bedrock-emulator" \
  BEDROCK_EMULATOR_ARGS="--records-per-second 40" bash deploy/local/up.sh >/dev/null
# shellcheck disable=SC1091
source "$state/stack.env"

export BATCHGATE_MASTER_KEY="sk-quickstart-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BATCHGATE_DB="$state/batchgate.db"
# The example config, polling Bedrock every second so the demo finishes quickly.
sed -e 's/^\(  poll_interval_min:\).*/\1 1s/' -e 's/^\(  poll_interval_max:\).*/\1 2s/' \
  -e 's/^\(  port:\).*/\1 0/' deploy/config.example.yaml > "$state/config.yaml"

echo "== starting batchgate"
build/server/batchgate --config "$state/config.yaml" >"$state/access.log" 2>"$state/batchgate.log" &
batchgate_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$state/batchgate.log" | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$batchgate_pid" 2>/dev/null || { cat "$state/batchgate.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "batchgate did not start" >&2; cat "$state/batchgate.log" >&2; exit 1; }
url="http://127.0.0.1:$port"
echo "   batchgate on $url (logs in $state)"

echo "== creating a virtual key for claude-batch"
key=$(curl -sf "$url/key/generate" -H "Authorization: Bearer $BATCHGATE_MASTER_KEY" \
  -H 'Content-Type: application/json' -d '{"models":["claude-batch"],"key_alias":"quickstart"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
echo "   key ${key:0:6}… (stored hashed; shown once)"

echo "== running the sample batch with the OpenAI Node SDK"
BATCHGATE_URL="$url" BATCHGATE_KEY="$key" node deploy/sample-batch.mjs

echo "== spend recorded on the key"
curl -sf "$url/key/info?key=$key" -H "Authorization: Bearer $BATCHGATE_MASTER_KEY" |
  python3 -c 'import json,sys; i=json.load(sys.stdin)["info"]; print("   spend: $%.6f (batch price)" % i["spend"])'
echo "== done; stopping everything"
