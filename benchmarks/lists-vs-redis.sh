#!/usr/bin/env bash
# Plain redis-benchmark list tests (its default key, which grows to 100,000-200,000 elements) against redis-server
# and one FastDht node per build given, one after another in one run.
#   benchmarks/lists-vs-redis.sh BUILD_DIR [BUILD_DIR ...]    (folders holding fastdht-node.dll)
# Env: N (100000) TESTS (lpush,rpush,lpop,rpop,lrange_100,lrange_300) PORT_BASE (39400) BENCH_TIMEOUT (250)
#      NODE_ENV (extra environment for the nodes, e.g. DOTNET_GCLOHThreshold=0x100000)
set -u
[ $# -gt 0 ] || { echo "usage: $0 BUILD_DIR [BUILD_DIR ...]" >&2; exit 2; }
N=${N:-100000}; TESTS=${TESTS:-lpush,rpush,lpop,rpop,lrange_100,lrange_300}; PORT_BASE=${PORT_BASE:-39400}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-250}; NODE_ENV=${NODE_ENV:-}
PIDS=()
cleanup() { redis-cli -p $((PORT_BASE + 90)) shutdown nosave >/dev/null 2>&1; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
bench() { # name port
  echo "-- $1 $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  timeout "$BENCH_TIMEOUT" redis-benchmark -p "$2" -t "$TESTS" -n "$N" -q 2>&1 | tr '\r' '\n' | grep 'requests per second'
}
redis-server --port $((PORT_BASE + 90)) --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null
i=0
for dir in "$@"; do
  env $NODE_ENV dotnet "$dir/fastdht-node.dll" --members 127.0.0.1:$((PORT_BASE + 2 * i)) --resp 127.0.0.1:$((PORT_BASE + 2 * i + 1)) > "/tmp/lists-vs-redis-node$i.log" 2>&1 &
  PIDS+=($!)
  i=$((i + 1))
done
sleep 4
bench redis $((PORT_BASE + 90))
i=0
for dir in "$@"; do bench "$dir" $((PORT_BASE + 2 * i + 1)); i=$((i + 1)); done
