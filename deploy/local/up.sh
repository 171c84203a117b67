#!/usr/bin/env bash
# Starts the local AWS stand-ins on free loopback ports:
#   - moto_server for S3, with SigV4 verification on (its first 3 unauthenticated calls create an IAM user
#     and access key; every later request must be signed with that key),
#   - bedrock-emulator, accepting the same key and keeping job data in that S3,
# creates the bucket, prints the environment a batchgate config needs and writes it to $STATE_DIR/stack.env.
# With BATCHGATE_LOCAL_S3=emulator, moto is not started: the emulator serves an in-memory S3 on its own port
# (--serve-s3; fast enough for throughput benchmarks) and stack.env points S3_ENDPOINT_URL at it.
# Stop everything with deploy/local/down.sh.
#
# Environment:
#   BATCHGATE_LOCAL_S3     moto (default) or emulator
#   BEDROCK_EMULATOR_BIN   emulator binary (default: build/deploy/bedrock-emulator/bedrock-emulator)
#   BEDROCK_EMULATOR_ARGS  extra emulator flags, e.g. "--submitted-seconds 2 --records-per-second 50"
#   BATCHGATE_LOCAL_DIR    state directory for pid files, logs and stack.env (default: .local)
#   BATCHGATE_BUCKET       bucket to create (default: batchgate-local)
#   AWS_REGION             region (default: us-east-1)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE_DIR=${BATCHGATE_LOCAL_DIR:-$ROOT/.local}
EMULATOR=${BEDROCK_EMULATOR_BIN:-$ROOT/build/deploy/bedrock-emulator/bedrock-emulator}
BUCKET=${BATCHGATE_BUCKET:-batchgate-local}
REGION=${AWS_REGION:-us-east-1}
LOCAL_S3=${BATCHGATE_LOCAL_S3:-moto}

die() { echo "up.sh: $*" >&2; exit 1; }

[[ "$LOCAL_S3" == moto || "$LOCAL_S3" == emulator ]] || die "BATCHGATE_LOCAL_S3 must be moto or emulator, not '$LOCAL_S3'"
[[ -x "$EMULATOR" ]] || die "no emulator binary at $EMULATOR (build the bedrock-emulator target or set BEDROCK_EMULATOR_BIN)"
[[ "$LOCAL_S3" == emulator ]] || command -v moto_server >/dev/null || die "moto_server is not on PATH"
mkdir -p "$STATE_DIR"
for name in moto bedrock-emulator; do
  if [[ -f "$STATE_DIR/$name.pid" ]] && kill -0 "$(cat "$STATE_DIR/$name.pid")" 2>/dev/null; then
    die "$name is already running (pid $(cat "$STATE_DIR/$name.pid")); run deploy/local/down.sh first"
  fi
done

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
  python3 - "$1" <<'PY'
import socket, sys, time
port, end = int(sys.argv[1]), time.time() + 20
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(f"nothing listens on port {port}")
PY
}

# If anything below fails, stop what this run started.
cleanup_on_error() { "$ROOT/deploy/local/down.sh" >/dev/null 2>&1 || true; }
trap cleanup_on_error ERR

# The emulator's port, from its first line "listening on 127.0.0.1:PORT".
wait_emulator_port() {
  local port=""
  for _ in $(seq 1 200); do
    # No pipeline: under pipefail a SIGPIPE'd sed would abort the script.
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p;T;q' "$STATE_DIR/bedrock-emulator.log" 2>/dev/null || true)
    [[ -n "$port" ]] && break
    kill -0 "$(cat "$STATE_DIR/bedrock-emulator.pid")" 2>/dev/null || die "bedrock-emulator exited; see $STATE_DIR/bedrock-emulator.log"
    sleep 0.05
  done
  [[ -n "$port" ]] || die "bedrock-emulator did not announce its port; see $STATE_DIR/bedrock-emulator.log"
  echo "$port"
}

write_stack_env() {
  cat >"$STATE_DIR/stack.env" <<ENV
export AWS_ACCESS_KEY_ID=$ACCESS_KEY_ID
export AWS_SECRET_ACCESS_KEY=$SECRET_ACCESS_KEY
export AWS_REGION=$REGION
export AWS_DEFAULT_REGION=$REGION
export S3_ENDPOINT_URL=$S3_ENDPOINT_URL
export BEDROCK_ENDPOINT_URL=http://127.0.0.1:$BEDROCK_PORT
export BATCHGATE_BUCKET=$BUCKET
export BEDROCK_ROLE_ARN=arn:aws:iam::123456789012:role/BedrockBatchRole
ENV
  trap - ERR
  cat "$STATE_DIR/stack.env"
  echo "# written to $STATE_DIR/stack.env; load it with: source $STATE_DIR/stack.env" >&2
}

if [[ "$LOCAL_S3" == emulator ]]; then
  ACCESS_KEY_ID=AKIDBATCHGATELOCAL
  SECRET_ACCESS_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
  # shellcheck disable=SC2086
  "$EMULATOR" --port 0 --region "$REGION" --serve-s3 \
    --access-key-id "$ACCESS_KEY_ID" --secret-access-key "$SECRET_ACCESS_KEY" \
    ${BEDROCK_EMULATOR_ARGS:-} >"$STATE_DIR/bedrock-emulator.log" 2>&1 &
  echo $! >"$STATE_DIR/bedrock-emulator.pid"
  BEDROCK_PORT=$(wait_emulator_port)
  S3_ENDPOINT_URL="http://127.0.0.1:$BEDROCK_PORT"
  python3 - "$S3_ENDPOINT_URL" "$REGION" "$BUCKET" "$ACCESS_KEY_ID" "$SECRET_ACCESS_KEY" <<'PY' || die "could not create bucket $BUCKET; see $STATE_DIR/bedrock-emulator.log"
import sys
import boto3
endpoint, region, bucket, akid, secret = sys.argv[1:6]
boto3.client("s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=akid,
             aws_secret_access_key=secret).create_bucket(Bucket=bucket)
PY
  write_stack_env
  exit 0
fi

# A port that was free a moment ago can be taken by a parallel test before moto binds it: then moto exits
# (and the port answers for someone else), so check that our process survived, and retry on a new port.
MOTO_PORT=""
for _ in 1 2 3; do
  port=$(free_port)
  INITIAL_NO_AUTH_ACTION_COUNT=3 moto_server -H 127.0.0.1 -p "$port" >"$STATE_DIR/moto.log" 2>&1 &
  echo $! >"$STATE_DIR/moto.pid"
  if wait_port "$port" 2>/dev/null && sleep 0.3 && kill -0 "$(cat "$STATE_DIR/moto.pid")" 2>/dev/null; then
    MOTO_PORT=$port
    break
  fi
  kill "$(cat "$STATE_DIR/moto.pid")" 2>/dev/null || true
done
[[ -n "$MOTO_PORT" ]] || die "moto_server did not start; see $STATE_DIR/moto.log"
S3_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"

read -r ACCESS_KEY_ID SECRET_ACCESS_KEY < <(python3 - "$S3_ENDPOINT_URL" "$REGION" "$BUCKET" <<'PY'
import json, sys
import boto3
endpoint, region, bucket = sys.argv[1:4]
iam = boto3.client("iam", endpoint_url=endpoint, region_name=region,
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="batchgate-local")
iam.put_user_policy(UserName="batchgate-local", PolicyName="allow-all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="batchgate-local")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region,
                  aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket=bucket)
print(key["AccessKeyId"], key["SecretAccessKey"])
PY
)
[[ -n "${SECRET_ACCESS_KEY:-}" ]] || die "IAM set-up against moto_server failed; see $STATE_DIR/moto.log"

# --port 0: the emulator picks a free port and announces it on its first line.
# shellcheck disable=SC2086
"$EMULATOR" --port 0 --region "$REGION" \
  --access-key-id "$ACCESS_KEY_ID" --secret-access-key "$SECRET_ACCESS_KEY" \
  --s3-endpoint "$S3_ENDPOINT_URL" --s3-access-key-id "$ACCESS_KEY_ID" --s3-secret-access-key "$SECRET_ACCESS_KEY" \
  ${BEDROCK_EMULATOR_ARGS:-} >"$STATE_DIR/bedrock-emulator.log" 2>&1 &
echo $! >"$STATE_DIR/bedrock-emulator.pid"
BEDROCK_PORT=$(wait_emulator_port)
write_stack_env
