#!/usr/bin/env bash
# The whole system end to end, as a user runs it: curl → batchgate → the S3 and Bedrock stand-ins on loopback.
# Every figure is the median of RUNS repetitions and is normalised by batchgate's own CPU time (user + system
# from /proc), so it holds on a machine shared with other work; the load average is printed with it.
#   bench/scripts/e2e.sh [upload_records] [collect_records] [runs]
#
#   upload       POST /v1/files of a Claude batch file (~1.2 KB requests): MB/s, batchgate CPU-seconds per GB,
#                MB per CPU-second, page faults and system calls per MB (system calls counted by perf on one
#                extra upload, outside the timed runs), peak RSS.
#   collection   a completed Bedrock job of collect_records records → OpenAI output file registered: the time
#                batchgate's log gives for collecting, and records per batchgate CPU-second from batches.create
#                to `completed` (submission and polls included).
#   GET          wrk -t2 -c32 on GET /v1/batches/{id}: req/s and p99.
#
# S3: BENCH_S3=emulator (default) serves S3 from the bedrock-emulator's in-memory store, fast enough not to be
# the bottleneck; BENCH_S3=moto uses moto_server (slow; the wire-fidelity S3 of the tests).
set -euo pipefail
upload_records="${1:-100000}"
collect_records="${2:-50000}"
runs="${3:-5}"
BENCH_SETTINGS=$'max_upload_bytes: 2147483648\nmax_upload_lines: 1000000\npoll_interval_min: 1s\npoll_interval_max: 1s'
BENCH_MODEL_INFO="      max_batch_records: $((upload_records > collect_records ? upload_records : collect_records))"
export BEDROCK_EMULATOR_ARGS="${BEDROCK_EMULATOR_ARGS:---records-per-second 1000000 --submitted-seconds 0.1 --validating-seconds 0.1 --scheduled-seconds 0.1}"
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
bench_start
curl -sf -o /dev/null "$BEDROCK_ENDPOINT_URL/_emulator/config" -H 'Content-Type: application/json' \
  -d "{\"maxRecords\": $((upload_records > collect_records ? upload_records : collect_records))}"

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
minflt() { awk '{print $10}' "/proc/$1/stat"; }
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

# Claude requests like the walkthrough's, ~1.2 KB each.
gen() {
  python3 - "$1" "$2" <<'PY'
import json, sys
text = "Summarise the following paragraph in two sentences. " * 18
with open(sys.argv[2], "w") as f:
    for i in range(int(sys.argv[1])):
        f.write(json.dumps({"custom_id": f"req-{i}", "method": "POST", "url": "/v1/chat/completions",
                            "body": {"model": "claude-batch", "max_tokens": 256, "temperature": 0.2,
                                     "messages": [{"role": "system", "content": "You are terse."},
                                                  {"role": "user", "content": f"{i}: {text}"}]}}) + "\n")
PY
}

upload() {  # → the file id
  curl -sf "$url/v1/files" -H "Authorization: Bearer $master" -H 'Transfer-Encoding: chunked' \
    -F purpose=batch -F "file=@$1" | json_field id
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg); S3: ${BENCH_S3:-emulator}; $(nproc) cores"

# --- upload ---------------------------------------------------------------------------------------------
file="$BENCH_DIR/upload.jsonl"
gen "$upload_records" "$file"
mb=$(echo "$(stat -c %s "$file") / 1048576" | bc -l)
printf '\nupload: %s requests, %.1f MB\n' "$upload_records" "$mb"
echo "| run | seconds | MB/s | batchgate CPU s | CPU-s per GB | MB per CPU-second | page faults per MB |"
echo "|---|---|---|---|---|---|---|"
rates=(); per_gb=(); per_cpu=(); faults=(); upload_ids=()
for run in $(seq 1 "$runs"); do
  cpu_before=$(cpu_seconds "$batchgate_pid"); flt_before=$(minflt "$batchgate_pid")
  start=$(date +%s.%N)
  upload_ids+=("$(upload "$file")")
  end=$(date +%s.%N)
  cpu=$(echo "$(cpu_seconds "$batchgate_pid") - $cpu_before" | bc -l)
  secs=$(echo "$end - $start" | bc -l)
  f=$(echo "($(minflt "$batchgate_pid") - $flt_before) / $mb" | bc -l)
  rates+=("$(echo "$mb / $secs" | bc -l)"); per_gb+=("$(echo "$cpu * 1024 / $mb" | bc -l)")
  per_cpu+=("$(echo "$mb / $cpu" | bc -l)"); faults+=("$f")
  printf '| %s | %.2f | %.1f | %.2f | %.2f | %.0f | %.0f |\n' "$run" "$secs" "${rates[-1]}" "$cpu" "${per_gb[-1]}" \
    "${per_cpu[-1]}" "$f"
done
syscalls="(perf not usable)"
if command -v perf >/dev/null && perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
  perf stat -x, -e raw_syscalls:sys_enter -p "$batchgate_pid" -o "$BENCH_DIR/perf.txt" &
  perf_pid=$!
  sleep 0.5
  upload "$file" >/dev/null
  kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
  count=$(awk -F, '/raw_syscalls/ {print $1}' "$BENCH_DIR/perf.txt")
  syscalls=$(printf '%.0f' "$(echo "$count / $mb" | bc -l)")
fi
printf 'upload median: %.1f MB/s, **%.2f CPU-s per GB = %.0f MB per CPU-second**, %.0f page faults/MB, %s system calls/MB, peak RSS %.1f MB\n' \
  "$(median "${rates[@]}")" "$(median "${per_gb[@]}")" "$(median "${per_cpu[@]}")" "$(median "${faults[@]}")" \
  "$syscalls" "$(echo "$(peak_rss_kb "$batchgate_pid") / 1024" | bc -l)"
rm -f "$file"

# --- collection -----------------------------------------------------------------------------------------
file="$BENCH_DIR/collect.jsonl"
gen "$collect_records" "$file"
collect_file=$(upload "$file")
rm -f "$file"
printf '\ncollection: %s records per batch\n' "$collect_records"
echo "| run | collected in (s, batchgate log) | batchgate CPU s, create → completed | records per CPU-second |"
echo "|---|---|---|---|"
per_cpu=(); times=(); batch=""
for run in $(seq 1 "$runs"); do
  cpu_before=$(cpu_seconds "$batchgate_pid")
  batch=$(curl -sf "$url/v1/batches" -H "Authorization: Bearer $master" -H 'Content-Type: application/json' \
    -d "{\"input_file_id\":\"$collect_file\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}" |
    json_field id)
  status=""
  for _ in $(seq 1 1200); do
    status=$(curl -sf "$url/v1/batches/$batch" -H "Authorization: Bearer $master" | json_field status)
    case "$status" in completed|failed|expired|cancelled) break ;; esac
    sleep 0.1
  done
  [ "$status" = completed ] || { echo "batch $batch ended $status" >&2; tail -n 20 "$BENCH_DIR/batchgate.log" >&2; exit 1; }
  cpu=$(echo "$(cpu_seconds "$batchgate_pid") - $cpu_before" | bc -l)
  t=$(sed -n "s/.*lifecycle: batch $batch completed: .*results collected in \([0-9.]*\) s.*/\1/p" "$BENCH_DIR/batchgate.log")
  per_cpu+=("$(echo "$collect_records / $cpu" | bc -l)"); times+=("$t")
  printf '| %s | %s | %.2f | %.0f |\n' "$run" "$t" "$cpu" "${per_cpu[-1]}"
done
printf 'collection median: %s s to collect, **%.0f records per CPU-second**\n' "$(median "${times[@]}")" \
  "$(median "${per_cpu[@]}")"

# --- GET /v1/batches/{id} -------------------------------------------------------------------------------
printf '\nGET /v1/batches/{id}: wrk -t2 -c32 -d5s, %s runs\n' "$runs"
reqs=(); p99s=()
for run in $(seq 1 "$runs"); do
  out=$(wrk -t2 -c32 -d5s --latency -H "Authorization: Bearer $master" "$url/v1/batches/$batch")
  r=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  reqs+=("$r"); p99s+=("$p99")
  echo "run $run: $r req/s, p99 $p99"
done
printf 'GET median: **%.0f req/s**, p99 %s (median run by p99: %s)\n' "$(median "${reqs[@]}")" \
  "$(printf '%s\n' "${p99s[@]}" | sort -V | sed -n "$(( (runs + 1) / 2 ))p")" "${p99s[*]}"
echo "batchgate peak RSS: $(( $(peak_rss_kb "$batchgate_pid") / 1024 )) MB; load: $(cut -d' ' -f1-3 /proc/loadavg)"
