#!/usr/bin/env bash
# deploy/local/up.sh brings up moto_server + bedrock-emulator (or, with BATCHGATE_LOCAL_S3=emulator, the
# emulator alone serving S3) whose environment works with the official SDK (a signed S3 call and a signed
# Bedrock call), and deploy/local/down.sh stops exactly those processes.
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

# BATCHGATE_LOCAL_S3=emulator: no moto, S3 on the emulator's own port, with the bucket and the same stack.env.
BATCHGATE_LOCAL_S3=emulator "$ROOT/deploy/local/up.sh" >/dev/null
[[ ! -e "$BATCHGATE_LOCAL_DIR/moto.pid" ]]
EMU_PID=$(cat "$BATCHGATE_LOCAL_DIR/bedrock-emulator.pid")
# shellcheck disable=SC1091
source "$BATCHGATE_LOCAL_DIR/stack.env"
[[ "$S3_ENDPOINT_URL" == "$BEDROCK_ENDPOINT_URL" ]]
python3 - <<'PY'
import os
import boto3
from botocore.exceptions import ClientError
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"])
s3.put_object(Bucket=os.environ["BATCHGATE_BUCKET"], Key="k", Body=b"v")
assert s3.get_object(Bucket=os.environ["BATCHGATE_BUCKET"], Key="k")["Body"].read() == b"v"
assert boto3.client("bedrock", endpoint_url=os.environ["BEDROCK_ENDPOINT_URL"]).list_model_invocation_jobs()
bad = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"],
                   aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="wrong")
try:
    bad.head_bucket(Bucket=os.environ["BATCHGATE_BUCKET"])
    raise SystemExit("the emulator's S3 accepted a wrong secret")
except ClientError:
    pass
PY
"$ROOT/deploy/local/down.sh" >/dev/null
if kill -0 "$EMU_PID" 2>/dev/null; then
  echo "process $EMU_PID still runs after down.sh" >&2
  exit 1
fi
echo "local stack (moto and emulator S3): up, usable with botocore, down"
