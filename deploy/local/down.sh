#!/usr/bin/env bash
# Stops exactly the processes deploy/local/up.sh started, by the pid files it wrote.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE_DIR=${BATCHGATE_LOCAL_DIR:-$ROOT/.local}

stop() {
  local name=$1 expected=$2 pid_file="$STATE_DIR/$1.pid"
  [[ -f "$pid_file" ]] || return 0
  local pid
  pid=$(cat "$pid_file")
  # Only a process that is still the one we started (its command line names it) is signalled.
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$expected"; then
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "stopped $name (pid $pid)"
  fi
  rm -f "$pid_file"
}

stop bedrock-emulator bedrock-emulator
stop moto moto_server
rm -f "$STATE_DIR/stack.env"
