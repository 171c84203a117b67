#!/usr/bin/env bash
# deploy/local/up.sh brings up moto_server + bedrock-emulator whose environment works with the official
# SDK (a signed S3 call and a signed Bedrock call), and deploy/local/down.sh stops exactly those processes.
# usage: local_stack_check.sh PATH_TO_BEDROCK_EMULATOR
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export BEDROCK_EMULATOR_BIN=$1
export BATCHGATE_LOCAL_DIR=$(mktemp -d)
trap '"$ROOT/deploy/local/down.sh" >/dev/null 2>&1; rm -rf "$BATCHGATE_LOCAL_DIR"' EXIT

"$ROOT/deploy/local/up.sh" >"$BATCHGATE_LOCAL_DIR/up.out"
grep -q '^export BEDROCK_ENDPOINT_URL=http://127.0.0.1:[0-9]*$' "$BATCHGATE_LOCAL_DIR/up.out"
cmp -s "$BATCHGATE_LOCAL_DIR/up.out" "$BATCHGATE_LOCAL_DIR/stack.env"
MOTO_PID=$(cat "$BATCHGATE_LOCAL_DIR/moto.pid")
EMU_PID=$(cat "$BATCHGATE_LOCAL_DIR/bedrock-emulator.pid")

# shellcheck disable=SC1091
source "$BATCHGATE_LOCAL_DIR/stack.env"
python3 - <<'PY'
import os
import boto3
from botocore.exceptions import ClientError
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"])
s3.head_bucket(Bucket=os.environ["BATCHGATE_BUCKET"])
bedrock = boto3.client("bedrock", endpoint_url=os.environ["BEDROCK_ENDPOINT_URL"])
assert bedrock.list_model_invocation_jobs()["invocationJobSummaries"] == []
bad = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"],
                   aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="wrong")
try:
    bad.head_bucket(Bucket=os.environ["BATCHGATE_BUCKET"])
    raise SystemExit("moto accepted a wrong secret: SigV4 verification is off")
except ClientError:
    pass
PY

if "$ROOT/deploy/local/up.sh" >/dev/null 2>&1; then
  echo "a second up.sh must refuse while the stack runs" >&2
  exit 1
fi

"$ROOT/deploy/local/down.sh" >/dev/null
for pid in "$MOTO_PID" "$EMU_PID"; do
  if kill -0 "$pid" 2>/dev/null; then
    echo "process $pid still runs after down.sh" >&2
    exit 1
  fi
done
[[ ! -e "$BATCHGATE_LOCAL_DIR/moto.pid" && ! -e "$BATCHGATE_LOCAL_DIR/stack.env" ]]
echo "local stack: up, usable with botocore, down"
