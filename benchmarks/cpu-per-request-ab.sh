#!/usr/bin/env bash
# Redis and one or more fastdht-node builds driven by the same redis-benchmark in alternating rounds, reporting for each
# round and server the requests per second AND the CPU time per request of the server process and of the client.
# Why: on a shared machine requests/s swing 2x between rounds; CPU per request moves far less, and on a 2-core machine
# the throughput of client + server is bounded by 2 cores / (client + server CPU per request), so it is the figure to
# compare builds by (docs/profiling.md, section 5).
# Args: NAME=BUILD_DIR[@ENV] ... (a folder holding fastdht-node.dll; @ENV: VAR=value for that node only, several separated by spaces).
# A FastDht node's round also reports gen0 and gen2 collections per million requests and its GC pause per request (from
# INFO memory's fastdht_gc_* fields; a build without them reports none).
# Env: T (get) P (16) N (1000000) C (50) D (16) R (100000) RUNS (3) PORT_BASE (17651) REDIS (1: include redis-server).
# Usage: bash benchmarks/cpu-per-request-ab.sh old=/tmp/fastdht-old/tools/fastdht-node/bin/Release/net10.0 \
#          new=tools/fastdht-node/bin/Release/net10.0 one-thread=tools/fastdht-node/bin/Release/net10.0@DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT=1
set -euo pipefail
T=${T:-get}; P=${P:-16}; N=${N:-1000000}; C=${C:-50}; D=${D:-16}; R=${R:-100000}; RUNS=${RUNS:-3}
PORT_BASE=${PORT_BASE:-17651}; REDIS=${REDIS:-1}
[ $# -gt 0 ] || { echo "usage: cpu-per-request-ab.sh NAME=BUILD_DIR[@ENV] ..." >&2; exit 2; }
declare -A PORT PID_OF
NAMES=(); PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
port=$PORT_BASE
WORK=$(mktemp -d /tmp/cpu-per-request.XXXXXX)
if [ "$REDIS" = 1 ]; then
  port=$((port + 2))
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >/dev/null 2>&1 & PIDS+=($!)
  PORT[redis]=$port; PID_OF[redis]=$!; NAMES+=(redis)
fi
for spec in "$@"; do
  name=${spec%%=*}; dir=${spec#*=}; extra=""
  if [[ $dir == *@* ]]; then extra=${dir#*@}; dir=${dir%%@*}; fi
  port=$((port + 2))
  env $extra dotnet "$dir/fastdht-node.dll" --members "0=127.0.0.1:$((port - 1))" --node-id 0 --resp "127.0.0.1:$port" \
    --log-level warning >/dev/null 2>&1 & PIDS+=($!)
  PORT[$name]=$port; PID_OF[$name]=$!; NAMES+=("$name")
done
for n in "${NAMES[@]}"; do
  # A write that succeeds, not just an answer: a node loading its data directory answers PING but refuses writes (-LOADING).
  for i in $(seq 1 300); do redis-cli -p "${PORT[$n]}" set cpu-per-request:ready 1 2>/dev/null | grep -q OK && break; sleep 0.1; done
  # Warm-up: JIT tiers, the keys in place.
  timeout 300 redis-benchmark -p "${PORT[$n]}" -t set,get -n 300000 -r "$R" -c "$C" -P 16 -d "$D" -q >/dev/null 2>&1
done
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# A FastDht node's gen0/gen2 collections and GC pause ms so far (INFO memory); "- - -" for Redis.
gc_counts() { redis-cli -p "$1" info memory 2>/dev/null | tr -d '\r' | awk -F: '/^fastdht_gc_gen0_collections:/ { g0 = $2 }
  /^fastdht_gc_gen2_collections:/ { g2 = $2 } /^fastdht_gc_pause_total_ms:/ { ms = $2 }
  END { if (g0 == "") print "- - -"; else print g0, g2, ms }'; }
TICK=$(getconf CLK_TCK)
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)   -t $T -P $P -n $N -c $C -d $D -r $R"
for r in $(seq 1 "$RUNS"); do
  # Rotate the order each round so no server always runs first.
  order=("${NAMES[@]:$(( (r - 1) % ${#NAMES[@]} ))}" "${NAMES[@]:0:$(( (r - 1) % ${#NAMES[@]} ))}")
  for n in "${order[@]}"; do
    gc_before=$(gc_counts "${PORT[$n]}")
    before=$(cpu_ticks "${PID_OF[$n]}")
    out=$( { /usr/bin/time -f "client %U %S" timeout 600 redis-benchmark -p "${PORT[$n]}" -t "$T" -n "$N" -r "$R" -c "$C" -P "$P" \
      -d "$D" -q; } 2>&1 | tr '\r' '\n')
    after=$(cpu_ticks "${PID_OF[$n]}")
    gc_after=$(gc_counts "${PORT[$n]}")
    rps=$(echo "$out" | grep -oE '[0-9.]+ requests per second' | head -1 | cut -d' ' -f1)
    echo "$out" | awk -v r="$r" -v n="$n" -v rps="$rps" -v N="$N" -v d=$((after - before)) -v tick="$TICK" \
      -v gb="$gc_before" -v ga="$gc_after" '/^client / {
      line = sprintf("round %s %-12s %10.0f req/s   server %.2f us/req   client %.2f us/req", r, n, rps, d / tick * 1e6 / N, ($2 + $3) * 1e6 / N)
      split(gb, b, " "); split(ga, a, " ")
      # GCs per million requests (gen0, gen2) and GC pause per request: the allocation side of the server CPU.
      if (b[1] != "-") line = line sprintf("   gc0 %.1f/M gc2 %.2f/M pause %.3f us/req", (a[1] - b[1]) * 1e6 / N, (a[2] - b[2]) * 1e6 / N, (a[3] - b[3]) * 1e3 / N)
      print line }'
  done
done | tee "$WORK/rounds.txt"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for n in "${NAMES[@]}"; do
  rps=$(awk -v n="$n" '$3 == n { print $4 }' "$WORK/rounds.txt" | median)
  cpu=$(awk -v n="$n" '$3 == n { print $7 }' "$WORK/rounds.txt" | median)
  echo "median $n: $rps req/s, server $cpu us/req"
done
rm -rf "$WORK"
