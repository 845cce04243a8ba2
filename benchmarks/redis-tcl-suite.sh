#!/usr/bin/env bash
# The yardstick for Redis compatibility: Redis's own TCL test units run against redis-server, a single FastDht node
# and a 3-node FastDht cluster (entered through node 0, so most keys are served through a non-owner), in one run.
#
#   benchmarks/redis-tcl-suite.sh REDIS_SRC [UNIT ...]
#
# REDIS_SRC is a checkout of the public redis/redis repository at the tag matching the redis-server installed here
# (Debian 12: 7.0.15); only its tests/ folder and runtest are used, and nothing of it is copied into this repository.
# UNITs default to the ones issue 13 measures: type/string type/incr keyspace expire protocol info-command multi.
# Each unit runs as Redis's docs describe for an external server:
#   ./runtest --host 127.0.0.1 --port P --singledb --ignore-encoding --ignore-digest --durable
#             --tags "-needs:debug -needs:repl" --clients 1 --single unit/NAME
# and the [ok] / [err] / [exception] lines are counted, and the tests the suite left out ([skip] / [ignore]: a tag such
# as needs:debug or external:skip, or a server property it checks first). An [exception] ends the unit: the tests after
# it are not run at all, so a unit with one reads as "stopped" in the table. Prints a table (also saved to
# $WORK/results.md) and keeps every unit's log in $WORK.
#
# redis-server is restarted before each unit (a failed test may leave a setting changed). Every server is started by
# this script on 127.0.0.1 and stopped from an EXIT trap; every unit is bounded by
# `timeout`. Env knobs: PORT_BASE (17300) UNIT_TIMEOUT (600 s) WORK (a new temp dir) SKIP_BUILD (0) CLUSTER (1)
# REDIS (1; 0 leaves redis-server out, e.g. when its figures of the same units are already known).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REDIS_SRC=${1:?usage: benchmarks/redis-tcl-suite.sh REDIS_SRC [UNIT ...]}
shift
UNITS=("$@")
[ ${#UNITS[@]} -gt 0 ] || UNITS=(type/string type/incr keyspace expire protocol info-command multi)
REDIS_SRC=$(cd "$REDIS_SRC" && pwd)
WORK=${WORK:-$(mktemp -d -t redis-tcl.XXXX)}
mkdir -p "$WORK"
PORT_BASE=${PORT_BASE:-17300}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-600}
SKIP_BUILD=${SKIP_BUILD:-0}
CLUSTER=${CLUSTER:-1}
REDIS=${REDIS:-1}

source "$ROOT/benchmarks/lib.sh"

for tool in redis-server redis-cli tclsh dotnet timeout; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: apt-get install redis-server redis-tools tcl)" >&2; exit 1; }
done
[ -x "$REDIS_SRC/runtest" ] && [ -d "$REDIS_SRC/tests/unit" ] || { echo "$REDIS_SRC has no runtest and tests/unit: give a redis/redis checkout" >&2; exit 1; }

if [ "$SKIP_BUILD" != 1 ]; then
  log "building fastdht-node"
  dotnet build -c Release "$ROOT/tools/fastdht-node" -v q -nologo >/dev/null
fi
NODE="$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll"
# A cluster of more than one member needs a shared secret (docs/security.md); a throwaway one for this run.
export FASTDHT_NODE_CLUSTERSECRET="${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}"

wait_for() {   # port
  local i
  for i in $(seq 1 200); do redis-cli -h 127.0.0.1 -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "nothing answers PING on port $1" >&2; return 1
}

REDIS_PORT=$((PORT_BASE))
ONE_NATIVE=$((PORT_BASE + 1)); ONE_RESP=$((PORT_BASE + 2))
# redis-server is started afresh for each unit: a unit that fails halfway can leave a setting changed (type/list's
# large-memory tests raise proto-max-bulk-len), which would change the next unit's reference figures.
start_redis() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" >>"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  PIDS+=($REDIS_PID)
}
TARGETS=()
if [ "$REDIS" = 1 ]; then
  log "starting redis-server on $REDIS_PORT"
  start_redis
  TARGETS+=("redis:$REDIS_PORT")
fi
log "starting a single FastDht node (RESP $ONE_RESP)"
dotnet "$NODE" --members "0=127.0.0.1:$ONE_NATIVE" --node-id 0 --resp "127.0.0.1:$ONE_RESP" >"$WORK/fastdht-1.log" 2>&1 &
PIDS+=($!)
TARGETS+=("fastdht-1:$ONE_RESP")
if [ "$CLUSTER" = 1 ]; then
  M="0=127.0.0.1:$((PORT_BASE + 10)),1=127.0.0.1:$((PORT_BASE + 11)),2=127.0.0.1:$((PORT_BASE + 12))"
  for i in 0 1 2; do
    dotnet "$NODE" --members "$M" --node-id "$i" --resp "127.0.0.1:$((PORT_BASE + 20 + i))" >"$WORK/fastdht-3-$i.log" 2>&1 &
    PIDS+=($!)
  done
  TARGETS+=("fastdht-3:$((PORT_BASE + 20))")
fi
for t in "${TARGETS[@]}"; do wait_for "${t#*:}"; done

declare -A OK ERR SKIP STOP
for unit in "${UNITS[@]}"; do
  for t in "${TARGETS[@]}"; do
    name=${t%%:*}; port=${t#*:}
    if [ "$name" = redis ]; then
      stop_pid "$REDIS_PID"
      start_redis
      wait_for "$REDIS_PORT"
    fi
    # The FastDht nodes are not restarted between units: undo the one setting a failing unit is known to leave
    # (scripting's "allow-oom shebang flag" fails after CONFIG SET maxmemory 1), or the next unit fails with -OOM.
    [ "$name" = redis ] || redis-cli -h 127.0.0.1 -p "$port" config set maxmemory 0 >/dev/null 2>&1 || true
    out="$WORK/${unit//\//_}.$name.log"
    log "unit $unit against $name"
    (cd "$REDIS_SRC" && timeout "$UNIT_TIMEOUT" ./runtest --host 127.0.0.1 --port "$port" --singledb --ignore-encoding \
        --ignore-digest --durable --tags "-needs:debug -needs:repl" --clients 1 --single "unit/$unit") >"$out" 2>&1 || true
    sed -i 's/\x1b\[[0-9;]*m//g' "$out"   # runtest colours its tags even into a file
    OK[$unit,$name]=$(grep -c '^\[ok\]' "$out" || true)
    ERR[$unit,$name]=$(grep -cE '^\[(err|exception)\]' "$out" || true)
    SKIP[$unit,$name]=$(grep -cE '^\[(skip|ignore)\]' "$out" || true)
    # An exception ends the unit; so does the timeout (no "All tests passed" nor "[ok]"-summary line after it).
    STOP[$unit,$name]=""
    grep -q '^\[exception\]' "$out" && STOP[$unit,$name]=" stopped"
    grep -qE '^(\\o/ All tests passed|!!! WARNING The following tests failed)' "$out" || STOP[$unit,$name]=" stopped"
  done
done

{
  printf '| unit |'; for t in "${TARGETS[@]}"; do printf ' %s ok / err / skip |' "${t%%:*}"; done
  if [ "$REDIS" = 1 ]; then
    [ "$CLUSTER" = 1 ] && printf ' fastdht-1 / redis | fastdht-3 / redis |' || printf ' fastdht-1 / redis |'
  fi
  printf '\n|---|'; for t in "${TARGETS[@]}"; do printf -- '---:|'; done
  if [ "$REDIS" = 1 ]; then printf -- '---:|'; [ "$CLUSTER" = 1 ] && printf -- '---:|'; fi
  printf '\n'
  for unit in "${UNITS[@]}"; do
    printf '| %s |' "$unit"
    for t in "${TARGETS[@]}"; do
      n=${t%%:*}
      printf ' %s / %s / %s%s |' "${OK[$unit,$n]}" "${ERR[$unit,$n]}" "${SKIP[$unit,$n]}" "${STOP[$unit,$n]}"
    done
    if [ "$REDIS" = 1 ]; then
      r=${OK[$unit,redis]}
      for n in fastdht-1 fastdht-3; do
        [ -n "${OK[$unit,$n]+x}" ] || continue
        if [ "$r" -gt 0 ]; then printf ' %s%% |' $(( 100 * ${OK[$unit,$n]} / r )); else printf ' - |'; fi
      done
    fi
    printf '\n'
  done
} | tee "$WORK/results.md"
log "logs and results.md in $WORK"
