#!/usr/bin/env bash
# On-demand throughput: a batch below min_batch_records runs through InvokeModel on the bedrock-emulator with
# a fixed invoke latency L (ms) and the model's on_demand_concurrency C. Reports invocations per second against
# the ideal C/L, and batchgate's CPU time per invocation, as the median of RUNS batches.
#   bench/scripts/on_demand.sh [records] [latency_ms] [concurrency] [runs]
set -euo pipefail
records="${1:-400}"
latency="${2:-100}"
concurrency="${3:-8}"
runs="${4:-5}"
BENCH_SETTINGS=$'poll_interval_min: 1s\npoll_interval_max: 2s'
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
# The model's on-demand settings: every batch here is below min_batch_records.
BENCH_MODEL_INFO=$'      min_batch_records: 50000\n      on_demand_concurrency: '"$concurrency"
bench_start

curl -sf -o /dev/null "$BEDROCK_ENDPOINT_URL/_emulator/config" -H 'Content-Type: application/json' \
  -d "{\"invokeLatencyMs\": $latency}"
python3 - "$BENCH_DIR/in.jsonl" "$records" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
                            "body": {"model": "claude-batch", "max_tokens": 64,
                                     "messages": [{"role": "user", "content": f"question {i}"}]}}) + "\n")
PY
ideal=$(echo "$concurrency * 1000 / $latency" | bc -l)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $records records, L=${latency} ms, C=$concurrency: ideal $(printf '%.1f' "$ideal")/s"
echo "| run | invocations/s | share of C/L | batchgate CPU ms per invocation |"
echo "|---|---|---|---|"
rates=(); cpus=()
for run in $(seq 1 "$runs"); do
  file=$(curl -sf "$url/v1/files" -H "Authorization: Bearer $master" -F purpose=batch -F "file=@$BENCH_DIR/in.jsonl" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  cpu_before=$(cpu_seconds "$batchgate_pid")
  batch=$(curl -sf "$url/v1/batches" -H "Authorization: Bearer $master" -H 'Content-Type: application/json' \
    -d "{\"input_file_id\":\"$file\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  for _ in $(seq 1 600); do
    curl -sf "$url/v1/batches/$batch" -H "Authorization: Bearer $master" | grep -q '"status":"completed"' && break
    sleep 0.2
  done
  cpu=$(echo "$(cpu_seconds "$batchgate_pid") - $cpu_before" | bc -l)
  rate=$(sed -n "s/.*on demand: batch $batch: [0-9]* records answered in [0-9.]* s (\([0-9.]*\) per second.*/\1/p" \
    "$BENCH_DIR/batchgate.log" | tail -n 1)
  [ -n "$rate" ] || { echo "batch $batch did not finish" >&2; tail -n 20 "$BENCH_DIR/batchgate.log" >&2; exit 1; }
  cpu_ms=$(echo "$cpu * 1000 / $records" | bc -l)
  printf '| %s | %.1f | %.1f %% | %.3f |\n' "$run" "$rate" "$(echo "$rate * 100 / $ideal" | bc -l)" "$cpu_ms"
  rates+=("$rate"); cpus+=("$cpu_ms")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m=$(median "${rates[@]}")
printf 'median: %.1f invocations/s = %.1f %% of C/L; batchgate %.3f CPU ms per invocation (median)\n' "$m" \
  "$(echo "$m * 100 / $ideal" | bc -l)" "$(median "${cpus[@]}")"
