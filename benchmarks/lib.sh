#!/usr/bin/env bash
# What the benchmark scripts share: a timestamped log, the PIDs they started, and stopping those (and only those)
# when the script ends, however it ends. Source it after `set -euo pipefail`: `source "$ROOT/benchmarks/lib.sh"`.

PIDS=()
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

stop_pid() {      # graceful stop of one of *our* PIDs, SIGKILL after 10 s
  local pid=$1 i keep=() q
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  for q in "${PIDS[@]}"; do [[ $q == "$pid" ]] || keep+=("$q"); done
  PIDS=("${keep[@]}")
}
build_release() { # PROJECT... (paths from $ROOT): dotnet build -c Release each, quietly; the log's tail on failure
  local p
  for p in "$@"; do
    dotnet build -c Release "$ROOT/$p" -v quiet -nologo >"$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log" >&2; exit 1; }
  done
}
wait_fastdht_mesh() { # RESP_PORT...: until every node's CLUSTER SLOTS lists all of them (they learn each other's RESP
  # addresses as the mesh forms); exits the script after 30 s
  local i port ok
  for i in $(seq 1 300); do
    ok=0
    for port in "$@"; do
      [[ $(redis-cli -p "$port" cluster slots 2>/dev/null | grep -c '^127.0.0.1$') -ge $# ]] && ok=$((ok + 1))
    done
    ((ok == $#)) && return 0
    sleep 0.1
  done
  echo "the FastDht nodes did not all see each other (logs in ${WORK:-?})" >&2
  exit 1
}

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
