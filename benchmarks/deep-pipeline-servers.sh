#!/usr/bin/env bash
# The servers' own GET throughput at 2 connections x 512 in flight, as Garnet's own benchmark measures its server
# (Resp.benchmark pre-builds 512-deep request buffers and only counts replies), one run, one node each:
#   fastdht native  fastdht-node driven by `FastDht.Benchmarks native-blast` (pre-encoded buffers of 512 Get frames per
#                   connection, only the answers counted: the node's figure, not the smart client's)
#   fastdht resp    the same node's RESP port,   redis-benchmark -t get -P 512 -c 2
#   redis           redis-server,                redis-benchmark -t get -P 512 -c 2
#   garnet          garnet-server (bound to 127.0.0.1; installed as a dotnet tool into $WORK/garnet when absent)
# Each server gets R keys of D bytes first (redis-benchmark -t set -P 16), then RUNS rotated runs of each driver;
# the server's CPU per GET (perf stat -p over the run) is printed next to GET/s: on 2 shared cores the driver's own cost
# bounds every server (redis-benchmark is one thread, ~0.3-0.6 µs per reply), so CPU per GET is the server's figure.
# Env: N (5000000 per redis-benchmark run) SECONDS_PER_RUN (8, native-blast) RUNS (3) R (100000) D (16)
#      PORT_BASE (32800) SKIP_BUILD (0) WORK (a new temp dir) GARNET_VERSION (latest)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t deep-pipeline.XXXX)}
N=${N:-5000000}; SECONDS_PER_RUN=${SECONDS_PER_RUN:-8}; RUNS=${RUNS:-3}; R=${R:-100000}; D=${D:-16}
PORT_BASE=${PORT_BASE:-32800}; SKIP_BUILD=${SKIP_BUILD:-0}
source "$ROOT/benchmarks/lib.sh"
trap 'for p in "${PIDS[@]}"; do stop_pid "$p"; done' EXIT
mkdir -p "$WORK"
NODE_DLL="$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll"
BENCH_DLL="$ROOT/benchmarks/bin/Release/net10.0/FastDht.Benchmarks.dll"
[[ $SKIP_BUILD == 1 ]] || { log "building fastdht-node and the benchmarks (Release)"; build_release tools/fastdht-node/fastdht-node.csproj benchmarks/FastDht.Benchmarks.csproj; }
find_garnet
responds() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }
wait_up() { local i; for i in $(seq 1 300); do responds "$1" && return 0; sleep 0.1; done; echo "port $1 did not come up (logs in $WORK)" >&2; exit 1; }
refuse_busy() { if responds "$1"; then echo "port $1 already serves something: refusing to touch it" >&2; exit 1; fi; }
median() { grep . | sort -g | awk '{a[NR]=$1} END { if (NR == 0) { print "NA"; exit } if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

export FASTDHT_NODE_CLUSTERSECRET="${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}"
NATIVE=$((PORT_BASE + 1)); FRESP=$((PORT_BASE + 2)); REDIS=$((PORT_BASE + 3)); GPORT=$((PORT_BASE + 4))
for p in $FRESP $REDIS $GPORT; do refuse_busy "$p"; done
dotnet "$NODE_DLL" --members "0=127.0.0.1:$NATIVE" --node-id 0 --resp "127.0.0.1:$FRESP" --log-level warning </dev/null >"$WORK/fastdht.log" 2>&1 &
PIDS+=($!); declare -A PID_OF=([fastdht-native]=$! [fastdht-resp]=$!)
redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" </dev/null >"$WORK/redis.log" 2>&1 &
PIDS+=($!); PID_OF[redis]=$!
mkdir -p "$WORK/garnet-data"
"$GARNET" --bind 127.0.0.1 --port "$GPORT" --checkpointdir "$WORK/garnet-data" </dev/null >"$WORK/garnet.log" 2>&1 &
PIDS+=($!); PID_OF[garnet]=$!
for p in $FRESP $REDIS $GPORT; do wait_up "$p"; done
# The keys ("key:" and 12 digits, redis-benchmark's -r form and the loadgen's), and a warm-up of every path.
for p in $FRESP $REDIS $GPORT; do
  redis-benchmark -p "$p" -t set,get -n 400000 -r "$R" -c 2 -P 16 -d "$D" -q >/dev/null 2>&1
  redis-benchmark -p "$p" -t get -n 1000000 -r "$R" -c 2 -P 512 -d "$D" -q >/dev/null 2>&1
done
dotnet "$BENCH_DLL" native-blast --node "127.0.0.1:$NATIVE" -c 2 --depth 512 --seconds 2 --warmup 1 --keys "$R" >/dev/null

declare -A RATE CPU
run_one() { # DRIVER: one run, GET/s and the server's CPU µs per GET
  local d=$1 pid=${PID_OF[$1]} out rate ms
  perf stat -x, -e task-clock -p "$pid" -o "$WORK/$d.perf" &
  local stat=$!
  sleep 0.3
  if [[ $d == fastdht-native ]]; then
    out=$(dotnet "$BENCH_DLL" native-blast --node "127.0.0.1:$NATIVE" -c 2 --depth 512 --seconds "$SECONDS_PER_RUN" --warmup 0 --keys "$R")
    rate=$(grep -o 'GET/s [0-9]*' <<<"$out" | grep -o '[0-9]*$')
  else
    local port=$FRESP; [[ $d == redis ]] && port=$REDIS; [[ $d == garnet ]] && port=$GPORT
    out=$(redis-benchmark -p "$port" -t get -n "$N" -r "$R" -c 2 -P 512 -d "$D" -q 2>&1 | tr '\r' '\n')
    rate=$(grep -o 'GET: [0-9.]* requests per second' <<<"$out" | tail -1 | grep -o '[0-9.]*' | head -1 | cut -d. -f1)
  fi
  kill -INT "$stat"; wait "$stat" 2>/dev/null || true
  ms=$(awk -F, '$3 ~ /task-clock/ { print $1 }' "$WORK/$d.perf")
  [[ -n $rate && -n $ms ]] || { echo "no figure for $d: $out" >&2; exit 1; }
  # perf counted from its start to the driver's end (0.3 s of idle first): the requests are the rate over the driver's run.
  local secs=$SECONDS_PER_RUN; [[ $d == fastdht-native ]] || secs=$(awk -v n="$N" -v r="$rate" 'BEGIN { print n / r }')
  RATE[$d]+="$rate"$'\n'; CPU[$d]+="$(awk -v ms="$ms" -v r="$rate" -v s="$secs" 'BEGIN { printf "%.3f", ms * 1000 / (r * s) }')"$'\n'
  log "$d: $rate GET/s"
}

DRIVERS=(fastdht-native fastdht-resp redis garnet)
LOADS=()
for ((run = 0; run < RUNS; run++)); do
  start=$(loadavg)
  for ((k = 0; k < ${#DRIVERS[@]}; k++)); do run_one "${DRIVERS[$(((k + run) % ${#DRIVERS[@]}))]}"; done
  LOADS+=("run $((run + 1)): $start -> $(loadavg)")
done
{
  echo "$(date -u +%FT%TZ), $(nproc) cores, $(redis-server --version | awk '{print $3}'), garnet-server $("$GARNET" --version 2>/dev/null | head -1 || echo '?'), dotnet $(dotnet --version), $(git -C "$ROOT" rev-parse --short HEAD);"
  echo "GET at 2 connections x 512 in flight, $D-byte values over $R keys, median of $RUNS rotated runs."
  printf 'Load average: %s.\n\n' "$(IFS=';'; echo "${LOADS[*]}")"
  echo "| server | driver | GET/s | server CPU µs/GET | GET/s one core gives at that CPU |"
  echo "|---|---|---:|---:|---:|"
  for d in "${DRIVERS[@]}"; do
    rate=$(median <<<"${RATE[$d]}"); cpu=$(median <<<"${CPU[$d]}")
    case $d in fastdht-native) name="FastDht native"; drv="native-blast (pre-encoded)";; fastdht-resp) name="FastDht RESP"; drv="redis-benchmark -P 512 -c 2";;
      redis) name="Redis"; drv="redis-benchmark -P 512 -c 2";; garnet) name="Garnet"; drv="redis-benchmark -P 512 -c 2";; esac
    echo "| $name | $drv | ${rate%.*} | $cpu | $(awk -v c="$cpu" 'BEGIN { if (c > 0) printf "%.2f M", 1 / c; else print "NA" }') |"
  done
} | tee "$WORK/table.md"
