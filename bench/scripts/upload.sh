#!/usr/bin/env bash
# Upload throughput and batchgate's peak memory for batch files of 10 MB, 100 MB and 1 GB (or the sizes given,
# in MB), streamed chunked through POST /v1/files against the local stack (S3: the emulator's in-memory S3, or
# moto_server with BENCH_S3=moto).
#   bench/scripts/upload.sh [MB ...]
set -euo pipefail
BENCH_SETTINGS=$'max_upload_bytes: 2147483648'
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 100 1024)
bench_start

# Claude requests of ~24 KB each (a long document to summarise), so 1 GB stays within the 50,000-request limit
# of a batch file, as real large batch files do.
gen() {
  python3 - "$1" "$2" <<'PY'
import json, sys
target = int(sys.argv[1]) * 1024 * 1024
with open(sys.argv[2], "w") as f:
    i, n = 0, 0
    text = "Summarise the following paragraph in two sentences. " * 460
    while n < target:
        line = json.dumps({"custom_id": f"req-{i}", "method": "POST", "url": "/v1/chat/completions",
                           "body": {"model": "claude-batch", "max_tokens": 256, "temperature": 0.2,
                                    "messages": [{"role": "system", "content": "You are terse."},
                                                 {"role": "user", "content": f"{i}: {text}"}]}}) + "\n"
        f.write(line)
        n += len(line)
        i += 1
PY
}

echo "| file | lines | seconds | MB/s | batchgate CPU s | MB per batchgate CPU-second | batchgate peak RSS |"
echo "|---|---|---|---|---|---|---|"
for mb in "${sizes[@]}"; do
  file="$BENCH_DIR/upload-$mb.jsonl"
  gen "$mb" "$file"
  lines=$(wc -l < "$file")
  before=$(peak_rss_kb "$batchgate_pid")
  cpu_before=$(cpu_seconds "$batchgate_pid")
  start=$(date +%s.%N)
  curl -sf -o "$BENCH_DIR/resp.json" "$url/v1/files" -H "Authorization: Bearer $master" \
    -H 'Transfer-Encoding: chunked' -F purpose=batch -F "file=@$file" || { cat "$BENCH_DIR/resp.json" >&2; exit 1; }
  end=$(date +%s.%N)
  peak=$(peak_rss_kb "$batchgate_pid")
  cpu=$(echo "$(cpu_seconds "$batchgate_pid") - $cpu_before" | bc -l)
  secs=$(echo "$end - $start" | bc -l)
  printf '| %s MB | %s | %.1f | %.1f | %.2f | %.0f | %.1f MB (%.1f MB before) |\n' "$mb" "$lines" "$secs" \
    "$(echo "$mb / $secs" | bc -l)" "$cpu" "$(echo "$mb / $cpu" | bc -l)" "$(echo "$peak / 1024" | bc -l)" \
    "$(echo "$before / 1024" | bc -l)"
  rm -f "$file"
done
