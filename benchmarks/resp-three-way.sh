#!/usr/bin/env bash
# FastDht (RESP), Redis and Garnet side by side, same client, same run, single node and three nodes, -P 1 and -P 16.
#
#   single node:  one fastdht-node --resp, one redis-server, one garnet-server, all bound to 127.0.0.1;
#                 redis-benchmark -t set,get -n N -r R -c C -d D -P {1,16}.
#   three nodes:  three fastdht-nodes (one cluster), a three-master Redis Cluster, a three-node Garnet cluster
#                 (garnet-server --cluster, slots assigned by redis-cli --cluster create); redis-benchmark --cluster,
#                 -n N_CLUSTER.
#   Before a block's measured runs every server takes one untimed warm-up run (-P 16, then -P 1, WARMUP_N requests
#   each; 0 turns it off): a fresh fastdht-node or garnet-server still runs part of its request path as tier-0 JIT code
#   during its first seconds, a start-up cost rather than the steady state a long-running server is measured in.
#   Each cell is the median of RUNS runs; within a run the three servers take turns in a rotated order (run 1:
#   fastdht redis garnet, run 2: redis garnet fastdht, ...), so machine load falls on all three alike. Prints the
#   markdown table docs/benchmarks.md takes (and saves it to $WORK/table.md), with the load average at the start and
#   end of each block.
#
# Garnet: `garnet-server` from PATH or ~/.dotnet/tools; when absent, installed by this script as a dotnet tool into
# $WORK/garnet (GARNET_VERSION pins it). Garnet listens on every interface by default, so --bind 127.0.0.1 always.
# Every server is started here and stopped by PID on exit; every redis-benchmark run is bounded by `timeout`.
#
# Env: N (300000) N_CLUSTER (900000) R (100000) C (50) D (3) RUNS (3) DEPTHS ("1 16") CLUSTER (1) SINGLE (1) WARMUP_N (200000)
#      PORT_BASE (17400) BENCH_TIMEOUT (600) SKIP_BUILD (0) WORK (a new temp dir) GARNET_VERSION (latest)
#      FASTDHT_ENV (extra environment for the FastDht nodes only, e.g. "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT=1": set
#      in the shell it would reach Garnet too, which is a .NET process as well)
# Smoke test: N=3000 N_CLUSTER=6000 RUNS=1 bash benchmarks/resp-three-way.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t resp-three-way.XXXX)}
N=${N:-300000}; N_CLUSTER=${N_CLUSTER:-900000}; R=${R:-100000}; C=${C:-50}; D=${D:-3}; RUNS=${RUNS:-3}
DEPTHS=${DEPTHS:-1 16}; CLUSTER=${CLUSTER:-1}; SINGLE=${SINGLE:-1}; PORT_BASE=${PORT_BASE:-17400}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}; SKIP_BUILD=${SKIP_BUILD:-0}; WARMUP_N=${WARMUP_N:-200000}
SERVERS=(fastdht redis garnet)
source "$ROOT/benchmarks/lib.sh"
mkdir -p "$WORK"
for tool in redis-server redis-cli redis-benchmark dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: apt-get install redis-server redis-tools)" >&2; exit 1; }
done

find_garnet

NODE_DLL="$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll"
export FASTDHT_NODE_CLUSTERSECRET="${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}"
if [[ $SKIP_BUILD != 1 ]]; then
  log "building fastdht-node (Release)"
  dotnet build -c Release "$ROOT/tools/fastdht-node/fastdht-node.csproj" -v quiet -nologo >"$WORK/build.log" 2>&1 \
    || { tail -20 "$WORK/build.log" >&2; exit 1; }
fi

responds() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }
wait_up() {
  local i
  for i in $(seq 1 300); do responds "$1" && return 0; sleep 0.1; done
  echo "$2 on port $1 did not come up (logs in $WORK)" >&2; exit 1
}
refuse_busy() { if responds "$1"; then echo "port $1 already serves something: refusing to touch it" >&2; exit 1; fi; }
start_fastdht() {  # MEMBERS NODE_ID RESP_PORT
  refuse_busy "$3"
  env ${FASTDHT_ENV:-} dotnet "$NODE_DLL" --members "$1" --node-id "$2" --resp "127.0.0.1:$3" --log-level warning </dev/null >"$WORK/fastdht-$3.log" 2>&1 &
  PIDS+=($!)
}
start_redis() {    # PORT [args...]
  local port=$1 dir="$WORK/redis-$1"; shift
  refuse_busy "$port"; mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" "$@" \
    </dev/null >"$dir/stdout.log" 2>&1 &
  PIDS+=($!)
}
start_garnet() {   # PORT [args...]
  local port=$1 dir="$WORK/garnet-$1"; shift
  refuse_busy "$port"; mkdir -p "$dir"
  "$GARNET" --bind 127.0.0.1 --port "$port" --checkpointdir "$dir" "$@" </dev/null >"$dir/stdout.log" 2>&1 &
  PIDS+=($!)
}
create_cluster() { # NAME PORT... : redis-cli assigns the slots and waits until every node agrees
  local name=$1 i ok port; shift
  timeout 60 redis-cli --cluster create $(printf '127.0.0.1:%s ' "$@") --cluster-replicas 0 --cluster-yes \
    >"$WORK/$name-cluster-create.log" 2>&1 || { tail -5 "$WORK/$name-cluster-create.log" >&2; exit 1; }
  for i in $(seq 1 150); do
    ok=0
    for port in "$@"; do redis-cli -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && ok=$((ok + 1)); done
    ((ok == $#)) && return 0
    sleep 0.2
  done
  echo "the $name cluster did not reach cluster_state:ok (logs in $WORK)" >&2; exit 1
}

median() { sort -g | awk '{a[NR]=$1} END { if (NR == 0) { print "NA"; exit } if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "NA" }'; }
thousands() { awk -v v="$1" 'BEGIN { if (v == "NA") { print v; exit } s = sprintf("%.0f", v); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } print s o }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

declare -A SAMPLES  # "nodes P server op" -> newline-separated ops/s
# block NODES REQUESTS PORT_OF_fastdht PORT_OF_redis PORT_OF_garnet CLUSTER_FLAG
block() {
  local nodes=$1 n=$2 flag=$6 p run k s out set get order
  declare -A port=([fastdht]=$3 [redis]=$4 [garnet]=$5)
  local start_load; start_load=$(loadavg)
  if ((WARMUP_N > 0)); then
    for s in "${SERVERS[@]}"; do
      for p in 16 1; do
        timeout "$BENCH_TIMEOUT" redis-benchmark $flag -h 127.0.0.1 -p "${port[$s]}" -t set,get -n "$WARMUP_N" -r "$R" -c "$C" -d "$D" -P "$p" -q >/dev/null 2>&1 \
          || { echo "warm-up failed or timed out ($s, $nodes nodes, P=$p)" >&2; exit 1; }
      done
    done
    log "$nodes node(s): warm-up done ($WARMUP_N requests per server at -P 16 and -P 1, untimed)"
  fi
  for p in $DEPTHS; do
    for ((run = 0; run < RUNS; run++)); do
      order=()
      for k in 0 1 2; do order+=("${SERVERS[$(((k + run) % 3))]}"); done
      for s in "${order[@]}"; do
        out=$(timeout "$BENCH_TIMEOUT" redis-benchmark $flag -h 127.0.0.1 -p "${port[$s]}" -t set,get -n "$n" -r "$R" -c "$C" -d "$D" -P "$p" -q 2>&1 | tr '\r' '\n') \
          || { echo "redis-benchmark failed or timed out ($s, $nodes nodes, P=$p):" >&2; echo "$out" | tail -5 >&2; exit 1; }
        set=$(awk '/^SET: [0-9.]+ requests per second/ {print $2}' <<<"$out" | tail -1)
        get=$(awk '/^GET: [0-9.]+ requests per second/ {print $2}' <<<"$out" | tail -1)
        [[ -n $set && -n $get ]] || { echo "could not parse redis-benchmark output ($s P=$p):" >&2; echo "$out" | tail -5 >&2; exit 1; }
        log "$nodes node(s) P=$p run $((run + 1)) $s: SET $set GET $get"
        SAMPLES["$nodes $p $s SET"]+="$set"$'\n'; SAMPLES["$nodes $p $s GET"]+="$get"$'\n'
      done
    done
  done
  LOADS["$nodes"]="$start_load -> $(loadavg)"
}
declare -A LOADS

if [[ $SINGLE == 1 ]]; then
  fd=$((PORT_BASE + 10)); rd=$((PORT_BASE + 20)); gn=$((PORT_BASE + 30))
  start_fastdht "0=127.0.0.1:$PORT_BASE" 0 "$fd"; start_redis "$rd"; start_garnet "$gn"
  wait_up "$fd" fastdht-node; wait_up "$rd" redis-server; wait_up "$gn" garnet-server
  block 1 "$N" "$fd" "$rd" "$gn" ""
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
fi

if [[ $CLUSTER == 1 ]]; then
  members="0=127.0.0.1:$((PORT_BASE + 1)),1=127.0.0.1:$((PORT_BASE + 2)),2=127.0.0.1:$((PORT_BASE + 3))"
  for id in 0 1 2; do start_fastdht "$members" "$id" "$((PORT_BASE + 11 + id))"; done
  for id in 0 1 2; do wait_up "$((PORT_BASE + 11 + id))" "fastdht-node $id"; done
  wait_fastdht_mesh $((PORT_BASE + 11)) $((PORT_BASE + 12)) $((PORT_BASE + 13))
  for k in 1 2 3; do
    start_redis "$((PORT_BASE + 20 + k))" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000
    # Cluster mode keeps its config on a storage device; the portable one, as the native one needs libaio.
    start_garnet "$((PORT_BASE + 30 + k))" --cluster --device-type RandomAccess
  done
  for k in 1 2 3; do wait_up "$((PORT_BASE + 20 + k))" redis-server; wait_up "$((PORT_BASE + 30 + k))" garnet-server; done
  create_cluster redis $((PORT_BASE + 21)) $((PORT_BASE + 22)) $((PORT_BASE + 23))
  create_cluster garnet $((PORT_BASE + 31)) $((PORT_BASE + 32)) $((PORT_BASE + 33))
  block 3 "$N_CLUSTER" "$((PORT_BASE + 11))" "$((PORT_BASE + 21))" "$((PORT_BASE + 31))" --cluster
fi

{
  echo "$(date -u +%FT%TZ), $(nproc) cores, $(redis-server --version | awk '{print $3}'), garnet-server $("$GARNET" --version 2>/dev/null | head -1 || echo '?'), dotnet $(dotnet --version);"
  echo "redis-benchmark -t set,get -r $R -c $C -d $D, -n $N (1 node) / $N_CLUSTER (3 nodes, --cluster), median of $RUNS rotated runs after an untimed warm-up of $WARMUP_N requests per server at -P 16 and -P 1."
  for nodes in 1 3; do [[ -n ${LOADS[$nodes]:-} ]] && echo "Load average over the $nodes-node block: ${LOADS[$nodes]}."; done
  echo
  echo "| nodes | depth | op | FastDht/s | Redis/s | Garnet/s | FastDht / Redis | FastDht / Garnet |"
  echo "|---:|---:|---|---:|---:|---:|---:|---:|"
  for nodes in 1 3; do
    [[ -n ${LOADS[$nodes]:-} ]] || continue
    for p in $DEPTHS; do
      for op in SET GET; do
        f=$(printf '%s' "${SAMPLES["$nodes $p fastdht $op"]}" | median)
        r=$(printf '%s' "${SAMPLES["$nodes $p redis $op"]}" | median)
        g=$(printf '%s' "${SAMPLES["$nodes $p garnet $op"]}" | median)
        echo "| $nodes | \`-P $p\` | $op | $(thousands "$f") | $(thousands "$r") | $(thousands "$g") | $(ratio "$f" "$r") | $(ratio "$f" "$g") |"
      done
    done
  done
} | tee "$WORK/table.md"
