#!/usr/bin/env bash
# Collections, bitmaps and growing strings: bytes the write-ahead log takes per write, and redis-benchmark's collection
# tests against redis-server, for one or more fastdht-node builds (docs/benchmarks.md, "Change records").
#
#   benchmarks/collections-log-bytes.sh LABEL=DLL [LABEL=DLL...]
#
#   1. Log bytes, one build at a time: a fastdht-node with --data-dir, --fsync everysec and --snapshot-log-size 0 (no
#      snapshot: the log's own bytes); for each test the log position (INFO persistence fastdht_log_appended) before
#      and after redis-benchmark -c 1 -P 16 sends N writes to one key: RPUSH and LPUSH of a 10-byte element, 100 SETBITs
#      on an 8 MiB bitmap, APPEND of 10 bytes, SADD/HSET/ZADD of random members (-r 1000000).
#   2. Throughput: the builds and a redis-server side by side (memory only, then --data-dir/--fsync everysec against
#      --appendonly yes --appendfsync everysec), redis-benchmark -t lpush,rpush,sadd,hset,zadd -n BENCH_N -r 100000
#      -c 50 -P 16, one test at a time, RUNS rounds, the order of the servers reversed every other round; FLUSHALL before
#      each test (the collections grow from empty in every run, so an O(n) write costs the same in each); the server's
#      CPU per request (the sum over its threads of /proc/PID/task/*/schedstat), which depends far less on the
#      machine's load than requests/s.
# Every server is started here, bound to 127.0.0.1 on PORT_BASE.., stopped by PID on exit. Numbers of a loaded machine
# are noise for the throughput part; the byte counts do not depend on load.
#
# Env: N (20000) BENCH_N (10000) RUNS (2) PORT_BASE (41100) WORK (a new temp dir) PARTS ("bytes bench")
# Smoke: N=2000 BENCH_N=2000 RUNS=1 benchmarks/collections-log-bytes.sh new=tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t collections-log-bytes.XXXX)}
N=${N:-20000}
BENCH_N=${BENCH_N:-10000}
RUNS=${RUNS:-2}
PORT_BASE=${PORT_BASE:-41100}
PARTS=${PARTS:-"bytes bench"}
source "$ROOT/benchmarks/lib.sh"
mkdir -p "$WORK"
(($# > 0)) || { echo "usage: $0 LABEL=path/to/fastdht-node.dll ..." >&2; exit 2; }

start_node() { # DLL PORT(native; RESP is PORT+1) persist(0|1) NAME
  local persist=()
  if [[ $3 == 1 ]]; then
    rm -rf "$WORK/data-$4"
    mkdir -p "$WORK/data-$4"
    persist=(--data-dir "$WORK/data-$4" --fsync everysec --snapshot-log-size 0)
  fi
  dotnet "$1" --members "0=127.0.0.1:$2" --node-id 0 --resp "127.0.0.1:$(($2 + 1))" --log-level warning "${persist[@]}" \
    >"$WORK/node-$4.log" 2>&1 &
  PIDS+=($!)
  wait_ping $(($2 + 1))
}
wait_ping() { local i; for i in $(seq 1 150); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.2; done; echo "port $1 never answered" >&2; exit 1; }
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f", s}'; } # CPU time of every thread of a process, ns
appended() { redis-cli -p "$1" info persistence </dev/null | tr -d '\r' | awk -F: '/^fastdht_log_appended/ {print $2}'; }

if [[ " $PARTS " == *" bytes "* ]]; then
  echo "## Log bytes per write (N=$N; $(date -u +%H:%M) UTC, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "| build | test | writes | bytes logged | per write |"
  echo "|---|---|---:|---:|---:|"
  for spec in "$@"; do
    label=${spec%%=*} dll=${spec#*=}
    start_node "$dll" "$PORT_BASE" 1 "$label"
    port=$((PORT_BASE + 1)) pid=${PIDS[-1]}
    redis-cli -p $port setbit bitmap $((8 * 1024 * 1024 * 8 - 1)) 1 >/dev/null # 8 MiB, made before the counted writes
    while read -r name count args; do
      before=$(appended $port)
      # shellcheck disable=SC2086
      timeout 600 redis-benchmark -p $port -n "$count" -c 1 -P 16 -r 1000000 -q $args </dev/null >/dev/null
      after=$(appended $port)
      echo "| $label | $name | $count | $((after - before)) | $(((after - before) / count)) |"
    done <<EOF
rpush $N rpush list xxxxxxxxxx
lpush $N lpush list2 xxxxxxxxxx
setbit(8MiB) 100 setbit bitmap 12345 1
append $N append text xxxxxxxxxx
sadd $N sadd set __rand_int__
hset $N hset hash __rand_int__ v
zadd $N zadd zset __rand_int__ __rand_int__
EOF
    stop_pid "$pid"
  done
  echo
fi

if [[ " $PARTS " == *" bench "* ]]; then
  for persist in 0 1; do
    ports=() names=() pids=()
    i=0
    for spec in "$@"; do
      start_node "${spec#*=}" $((PORT_BASE + 10 + 2 * i)) $persist "bench-${spec%%=*}"
      ports+=($((PORT_BASE + 11 + 2 * i))) names+=("${spec%%=*}") pids+=("${PIDS[-1]}")
      i=$((i + 1))
    done
    rp=(--appendonly no)
    ((persist)) && rp=(--appendonly yes --appendfsync everysec)
    rm -rf "$WORK/redis" && mkdir -p "$WORK/redis"
    redis-server --port $((PORT_BASE + 30)) --bind 127.0.0.1 --dir "$WORK/redis" --save '' "${rp[@]}" >"$WORK/redis.log" 2>&1 &
    PIDS+=($!)
    wait_ping $((PORT_BASE + 30))
    ports+=($((PORT_BASE + 30))) names+=(redis) pids+=("${PIDS[-1]}")
    echo "## redis-benchmark -t lpush,rpush,sadd,hset,zadd -n $BENCH_N -r 100000 -c 50 -P 16, $( ((persist)) && echo "--fsync everysec / appendfsync everysec" || echo "memory only") ($(date -u +%H:%M) UTC, load $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    echo "| run | server | test | requests/s | server CPU µs/request |"
    echo "|---|---|---|---:|---:|"
    for r in $(seq 1 "$RUNS"); do
      order=$(seq 0 $((${#ports[@]} - 1)))
      ((r % 2 == 0)) && order=$(echo "$order" | tac)
      for j in $order; do
        for t in lpush rpush sadd hset zadd; do
          redis-cli -p "${ports[$j]}" flushall >/dev/null
          before=$(cpu_ns "${pids[$j]}")
          rps=$(timeout 600 redis-benchmark -p "${ports[$j]}" -t $t -n "$BENCH_N" -r 100000 -c 50 -P 16 -q 2>/dev/null \
            | tr '\r' '\n' | grep -E '^[A-Z]+: [0-9]' | awk '{print $2}' | tail -1 || true)
          after=$(cpu_ns "${pids[$j]}")
          echo "| $r | ${names[$j]} | $t | $rps | $(awk -v t=$((after - before)) -v n="$BENCH_N" 'BEGIN {printf "%.1f", t / 1000 / n}') |"
        done
      done
    done
    echo "    (load at end $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
  done
fi
