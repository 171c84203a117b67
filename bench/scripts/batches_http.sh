#!/usr/bin/env bash
# GET /v1/batches/{id} throughput and latency with wrk against a running batchgate on the local stack
# (a completed batch of 120 requests, read with a virtual key).
#   bench/scripts/batches_http.sh [seconds] [connections]
set -euo pipefail
secs="${1:-10}"
conns="${2:-64}"
BENCH_SETTINGS=$'poll_interval_min: 1s\npoll_interval_max: 2s'
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
bench_start

key=$(curl -sf "$url/key/generate" -H "Authorization: Bearer $master" -d '{"models":["claude-batch"]}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
python3 - "$BENCH_DIR/in.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(120):
        f.write(json.dumps({"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
                            "body": {"model": "claude-batch", "messages": [{"role": "user", "content": f"hi {i}"}]}}) + "\n")
PY
file=$(curl -sf "$url/v1/files" -H "Authorization: Bearer $key" -F purpose=batch -F "file=@$BENCH_DIR/in.jsonl" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
batch=$(curl -sf "$url/v1/batches" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d "{\"input_file_id\":\"$file\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 1 60); do
  curl -sf "$url/v1/batches/$batch" -H "Authorization: Bearer $key" | grep -q '"status":"completed"' && break
  sleep 1
done

echo "wrk -t2 -c$conns -d${secs}s --latency GET /v1/batches/$batch"
wrk -t2 -c"$conns" -d"${secs}s" --latency -H "Authorization: Bearer $key" "$url/v1/batches/$batch"
echo "batchgate peak RSS: $(( $(peak_rss_kb "$batchgate_pid") / 1024 )) MB"
