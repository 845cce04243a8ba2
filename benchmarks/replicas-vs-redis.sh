#!/usr/bin/env bash
# SET throughput with replicas (issue 11), same client, same run:
#
#   fastdht       three fastdht-nodes --resp, no replicas
#   fastdht-r1    three fastdht-nodes --resp --replicas 1 (a SET is answered once its replica has it)
#   redis         a Redis Cluster of three masters with one replica each (redis-cli --cluster create
#                 --cluster-replicas 1); SET answered by the master alone (asynchronous replication)
#   redis-wait    the same cluster, every SET followed by WAIT 1 0 (answered once one replica has the write: Redis's
#                 closest equivalent of a synchronous acknowledgement)
#
# The client is `FastDht.Benchmarks resp-set` (benchmarks/Failover/RespSetLoad.cs), because redis-benchmark cannot
# send a WAIT after each SET: C connections spread over the masters (layout from CLUSTER SLOTS, keys of each
# connection's master only), -P SETs (each with its WAIT) written at once per round trip, SECONDS measured after a 1 s
# warm-up; a throughput counts SETs (a WAIT is not counted). Each cell is the median of RUNS runs in a rotated order.
# Prints the markdown table docs/benchmarks.md takes, with the load average.
#
# Env: C (50) SECONDS_PER_RUN (10) RUNS (3) DEPTHS ("1 16") D (3) PORT_BASE (17700) SKIP_BUILD (0) WORK (temp dir)
# Smoke test: SECONDS_PER_RUN=2 RUNS=1 bash benchmarks/replicas-vs-redis.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t replicas-vs-redis.XXXX)}
C=${C:-50}; SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}; RUNS=${RUNS:-3}; DEPTHS=${DEPTHS:-1 16}; D=${D:-3}
PORT_BASE=${PORT_BASE:-17700}; SKIP_BUILD=${SKIP_BUILD:-0}
source "$ROOT/benchmarks/lib.sh"
mkdir -p "$WORK"
for tool in redis-server redis-cli dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: apt-get install redis-server redis-tools)" >&2; exit 1; }
done
NODE_DLL="$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll"
BENCH_DLL="$ROOT/benchmarks/bin/Release/net10.0/FastDht.Benchmarks.dll"
export FASTDHT_NODE_CLUSTERSECRET="${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}"
[[ $SKIP_BUILD == 1 ]] || { log "building fastdht-node and the benchmarks (Release)"; build_release tools/fastdht-node/fastdht-node.csproj benchmarks/FastDht.Benchmarks.csproj; }

responds() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }
refuse_busy() { if responds "$1"; then echo "port $1 already serves something: refusing to touch it" >&2; exit 1; fi; }
wait_up() { local i; for i in $(seq 1 300); do responds "$1" && return 0; sleep 0.1; done; echo "port $1 did not come up (logs in $WORK)" >&2; exit 1; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
median() { sort -g | awk '{a[NR]=$1} END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "NA" }'; }

# Three FastDht clusters would share the machine; they run one at a time: fastdht, fastdht-r1, then the Redis cluster.
start_fastdht() { # BASE REPLICAS
  local base=$1 id members
  members="0=127.0.0.1:$((base + 1)),1=127.0.0.1:$((base + 2)),2=127.0.0.1:$((base + 3))"
  for id in 0 1 2; do
    refuse_busy "$((base + 11 + id))"
    dotnet "$NODE_DLL" --members "$members" --node-id "$id" --cluster "replicas-$2" --replicas "$2" \
      --resp "127.0.0.1:$((base + 11 + id))" --log-level warning </dev/null >"$WORK/fastdht-r$2-$id.log" 2>&1 &
    PIDS+=($!)
  done
  for id in 0 1 2; do wait_up "$((base + 11 + id))"; done
  # Ready when a SET goes through at every node's range (with replicas, after the Raft leader grants the leases).
  local i ok
  for i in $(seq 1 300); do
    ok=0
    for id in 0 1 2; do redis-cli -c -p "$((base + 11 + id))" set "ready:$id" 1 2>/dev/null | grep -q OK && ok=$((ok + 1)); done
    ((ok == 3)) && return 0
    sleep 0.2
  done
  echo "the FastDht cluster (replicas $2) did not take writes (logs in $WORK)" >&2; exit 1
}
start_redis_cluster() {
  local k port dir i ok
  for k in 1 2 3 4 5 6; do
    port=$((PORT_BASE + 20 + k)); dir="$WORK/redis-$port"; refuse_busy "$port"; mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 </dev/null >"$dir/stdout.log" 2>&1 &
    PIDS+=($!)
  done
  for k in 1 2 3 4 5 6; do wait_up "$((PORT_BASE + 20 + k))"; done
  timeout 60 redis-cli --cluster create $(for k in 1 2 3 4 5 6; do printf '127.0.0.1:%s ' "$((PORT_BASE + 20 + k))"; done) \
    --cluster-replicas 1 --cluster-yes >"$WORK/redis-cluster-create.log" 2>&1 || { tail -5 "$WORK/redis-cluster-create.log" >&2; exit 1; }
  for i in $(seq 1 150); do
    ok=0
    for k in 1 2 3 4 5 6; do redis-cli -p "$((PORT_BASE + 20 + k))" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && ok=$((ok + 1)); done
    # Every master must have its replica attached, or WAIT 1 0 would block.
    ((ok == 6)) && [[ $(redis-cli -p "$((PORT_BASE + 21))" cluster nodes | grep -c slave) -eq 3 ]] \
      && [[ $(for k in 1 2 3 4 5 6; do redis-cli -p "$((PORT_BASE + 20 + k))" info replication | grep -c 'state=online'; done | paste -sd+ | bc) -eq 3 ]] && return 0
    sleep 0.2
  done
  echo "the Redis Cluster did not reach cluster_state:ok with three online replicas (logs in $WORK)" >&2; exit 1
}

declare -A SAMPLES LOADS
measure() { # NAME SEED_PORT DEPTH [--wait]
  local out set
  out=$(timeout $((SECONDS_PER_RUN + 60)) dotnet "$BENCH_DLL" resp-set --seed "127.0.0.1:$2" --connections "$C" --pipeline "$3" \
        --seconds "$SECONDS_PER_RUN" --value-size "$D" ${4:-} 2>&1) || { echo "resp-set failed ($1, P=$3): $out" >&2; exit 1; }
  set=$(sed -n 's/^set_per_sec=\([0-9]*\)$/\1/p' <<<"$out")
  [[ -n $set ]] || { echo "no figure ($1, P=$3): $out" >&2; exit 1; }
  log "$1 P=$3: $set SET/s"
  SAMPLES["$1 $3"]+="$set"$'\n'
}
run_block() { # NAME SEED_PORT [--wait]: RUNS runs at every depth
  local p run start; start=$(loadavg)
  for ((run = 0; run < RUNS; run++)); do for p in $DEPTHS; do measure "$1" "$2" "$p" ${3:-}; done; done
  LOADS["$1"]="$start -> $(loadavg)"
}

start_fastdht "$PORT_BASE" 0; run_block fastdht "$((PORT_BASE + 11))"
for p in "${PIDS[@]}"; do stop_pid "$p"; done
start_fastdht "$((PORT_BASE + 100))" 1; run_block fastdht-r1 "$((PORT_BASE + 111))"
for p in "${PIDS[@]}"; do stop_pid "$p"; done
start_redis_cluster
# Rotated: redis and redis-wait alternate run by run on the same cluster.
for ((run = 0; run < RUNS; run++)); do
  for p in $DEPTHS; do
    if ((run % 2 == 0)); then measure redis "$((PORT_BASE + 21))" "$p"; measure redis-wait "$((PORT_BASE + 21))" "$p" --wait
    else measure redis-wait "$((PORT_BASE + 21))" "$p" --wait; measure redis "$((PORT_BASE + 21))" "$p"; fi
  done
done
LOADS[redis]="(with redis-wait) $(loadavg)"

{
  echo "$(date -u +%FT%TZ), $(nproc) cores, $(redis-server --version | awk '{print $3}'), dotnet $(dotnet --version);"
  echo "resp-set -c $C -d $D, $SECONDS_PER_RUN s per run, median of $RUNS runs; 3 FastDht nodes / 3 Redis masters + 3 replicas."
  for k in fastdht fastdht-r1 redis; do echo "Load average, $k: ${LOADS[$k]}."; done
  echo
  echo "| depth | FastDht | FastDht --replicas 1 | Redis Cluster (1 replica) | Redis + WAIT 1 0 | r1 / FastDht | r1 / Redis | r1 / Redis+WAIT |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
  for p in $DEPTHS; do
    f=$(printf '%s' "${SAMPLES["fastdht $p"]}" | median); r1=$(printf '%s' "${SAMPLES["fastdht-r1 $p"]}" | median)
    r=$(printf '%s' "${SAMPLES["redis $p"]}" | median); w=$(printf '%s' "${SAMPLES["redis-wait $p"]}" | median)
    echo "| \`-P $p\` | $f | $r1 | $r | $w | $(ratio "$r1" "$f") | $(ratio "$r1" "$r") | $(ratio "$r1" "$w") |"
  done
} | tee "$WORK/table.md"
