#!/usr/bin/env bash
# FastDht (RESP plugin) against Redis, same client, same machine, same run.
#
#   1. single node:  one fastdht-node with --resp, one redis-server (persistence off), both on loopback;
#                    redis-benchmark -t set,get -n N -r R -c C at -P 1 and -P 16, alternating FastDht / Redis.
#   2. three nodes:  three fastdht-nodes (one cluster) against a three-master Redis Cluster (no replicas);
#                    redis-benchmark --cluster, -n N_CLUSTER_P1 at -P 1 and -n N_CLUSTER_P16 at -P 16.
#   Prints a table: ops/sec for each and the ratio FastDht/Redis; the same table is saved to $WORK/results.txt.
#
# Every server is started by this script, bound to 127.0.0.1, and stopped by PID from an EXIT trap (also on failure
# or Ctrl-C). Every redis-benchmark run is bounded by `timeout`. The numbers mean something only on a quiet machine.
#
# Env knobs: N (500000) R (100000) C (50) D (3, redis-benchmark's default value size) RUNS (1: each cell is the
#            median of RUNS runs) N_CLUSTER_P1 (1500000) N_CLUSTER_P16 (6000000) BENCH_TIMEOUT (600 s per run)
#            PORT_BASE (17100: FastDht native ports from here, RESP from +10, Redis from +20) WORK (a new temp dir)
#            SKIP_BUILD (0) CLUSTER (1: also run the three-node comparison)
# Smoke test:  N=2000 N_CLUSTER_P1=3000 N_CLUSTER_P16=6000 benchmarks/resp-vs-redis.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t resp-vs-redis.XXXX)}
N=${N:-500000}
R=${R:-100000}
C=${C:-50}
D=${D:-3}
RUNS=${RUNS:-1}
N_CLUSTER_P1=${N_CLUSTER_P1:-1500000}
N_CLUSTER_P16=${N_CLUSTER_P16:-6000000}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
PORT_BASE=${PORT_BASE:-17100}
SKIP_BUILD=${SKIP_BUILD:-0}
CLUSTER=${CLUSTER:-1}

RESULTS="$WORK/results.txt"
source "$ROOT/benchmarks/lib.sh"

for tool in redis-server redis-cli redis-benchmark dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: apt-get install redis-server redis-tools)" >&2; exit 1; }
done
mkdir -p "$WORK"

NODE_DLL="$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll"
# A cluster of more than one member needs a shared secret (docs/security.md); a throwaway one for this run.
export FASTDHT_NODE_CLUSTERSECRET="${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}"
if [[ $SKIP_BUILD != 1 ]]; then
  log "building fastdht-node (Release)"
  dotnet build -c Release "$ROOT/tools/fastdht-node/fastdht-node.csproj" -v quiet -nologo >"$WORK/build.log" 2>&1 \
    || { tail -20 "$WORK/build.log" >&2; exit 1; }
fi

responds() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }
wait_up() {
  local port=$1 what=$2 i
  for i in $(seq 1 200); do responds "$port" && return 0; sleep 0.1; done
  echo "$what on port $port did not come up (logs in $WORK)" >&2; exit 1
}
refuse_busy() { if responds "$1"; then echo "port $1 already serves something: refusing to touch it" >&2; exit 1; fi; }

LAST_PID=
start_fastdht() {  # start_fastdht MEMBERS NODE_ID RESP_PORT
  local members=$1 id=$2 resp=$3
  refuse_busy "$resp"
  dotnet "$NODE_DLL" --members "$members" --node-id "$id" --resp "127.0.0.1:$resp" --log-level warning \
    </dev/null >"$WORK/fastdht-$id-$resp.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
start_redis() {    # start_redis PORT [extra redis-server args...]
  local port=$1 dir="$WORK/redis-$1"
  shift
  refuse_busy "$port"
  rm -rf "$dir"; mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    --logfile "$dir/redis.log" --daemonize no "$@" </dev/null >"$dir/stdout.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_up "$port" "redis-server"
}

median() { sort -g | awk '{a[NR]=$1} END{ if (NR==0) {print "NA"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.0f\n", (a[NR/2]+a[NR/2+1])/2 }'; }

# bench NAME REQUESTS PIPELINE redis-benchmark-args... -> prints "SET GET" (ops/sec, median of RUNS)
bench() {
  local name=$1 n=$2 p=$3 i out set get sets=() gets=()
  shift 3
  for ((i = 1; i <= RUNS; i++)); do
    out=$(timeout "$BENCH_TIMEOUT" redis-benchmark "$@" -t set,get -n "$n" -r "$R" -c "$C" -d "$D" -P "$p" -q 2>&1 | tr '\r' '\n') \
      || { echo "redis-benchmark failed or timed out ($name P=$p):" >&2; echo "$out" | tail -5 >&2; exit 1; }
    set=$(awk '/^SET: [0-9.]+ requests per second/{print $2}' <<<"$out" | tail -1)
    get=$(awk '/^GET: [0-9.]+ requests per second/{print $2}' <<<"$out" | tail -1)
    [[ -n $set && -n $get ]] || { echo "could not parse redis-benchmark output ($name P=$p):" >&2; echo "$out" | tail -5 >&2; exit 1; }
    grep -qE 'ERR|[Ee]rror|MOVED|ASK ' <<<"$out" && log "WARNING: errors in the output of $name P=$p"
    log "$name P=$p n=$n run $i: SET $set GET $get"
    sets+=("$set"); gets+=("$get")
  done
  echo "$(printf '%s\n' "${sets[@]}" | median) $(printf '%s\n' "${gets[@]}" | median)"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "NA" }'; }
row() {  # row CONFIG P N FD_SET FD_GET REDIS_SET REDIS_GET
  printf '%-10s %3s %9s   %-3s %12s %12s %6s\n' "$1" "$2" "$3" SET "$4" "$6" "$(ratio "$4" "$6")"
  printf '%-10s %3s %9s   %-3s %12s %12s %6s\n' "$1" "$2" "$3" GET "$5" "$7" "$(ratio "$5" "$7")"
}
{
  echo "# $(date -u +%FT%TZ)  host $(hostname)  nproc=$(nproc)  $(redis-server --version | awk '{print $3}')  dotnet $(dotnet --version)"
  echo "# redis-benchmark -t set,get -r $R -c $C -d $D, median of $RUNS run(s); FastDht and Redis alternate per pipeline depth"
  printf '%-10s %3s %9s   %-3s %12s %12s %6s\n' config P requests op fastdht/s redis/s ratio
} | tee "$RESULTS"

# ---------------------------------------------------------------- 1. single node
FD_NATIVE=$PORT_BASE
FD_RESP=$((PORT_BASE + 10))
REDIS_PORT=$((PORT_BASE + 20))
log "single node: FastDht RESP :$FD_RESP, Redis :$REDIS_PORT"
start_fastdht "0=127.0.0.1:$FD_NATIVE" 0 "$FD_RESP"; fd_pid=$LAST_PID
wait_up "$FD_RESP" "fastdht-node"
start_redis "$REDIS_PORT"; redis_pid=$LAST_PID
for p in 1 16; do
  read -r fs fg < <(bench fastdht-1 "$N" "$p" -h 127.0.0.1 -p "$FD_RESP")
  read -r rs rg < <(bench redis-1 "$N" "$p" -h 127.0.0.1 -p "$REDIS_PORT")
  row single "$p" "$N" "$fs" "$fg" "$rs" "$rg" | tee -a "$RESULTS"
done
stop_pid "$fd_pid"
stop_pid "$redis_pid"

# ---------------------------------------------------------------- 2. three nodes
if [[ $CLUSTER == 1 ]]; then
  members="0=127.0.0.1:$((PORT_BASE + 1)),1=127.0.0.1:$((PORT_BASE + 2)),2=127.0.0.1:$((PORT_BASE + 3))"
  fd_pids=()
  for id in 0 1 2; do
    start_fastdht "$members" "$id" "$((PORT_BASE + 11 + id))"
    fd_pids+=("$LAST_PID")
  done
  for id in 0 1 2; do wait_up "$((PORT_BASE + 11 + id))" "fastdht-node $id"; done
  wait_fastdht_mesh $((PORT_BASE + 11)) $((PORT_BASE + 12)) $((PORT_BASE + 13))

  redis_ports=($((PORT_BASE + 21)) $((PORT_BASE + 22)) $((PORT_BASE + 23)))
  redis_pids=()
  for port in "${redis_ports[@]}"; do
    start_redis "$port" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000
    redis_pids+=("$LAST_PID")
  done
  timeout 60 redis-cli --cluster create $(printf '127.0.0.1:%s ' "${redis_ports[@]}") --cluster-replicas 0 --cluster-yes \
    >"$WORK/redis-cluster-create.log" 2>&1 || { tail -5 "$WORK/redis-cluster-create.log" >&2; exit 1; }
  for i in $(seq 1 100); do
    ok=0
    for port in "${redis_ports[@]}"; do redis-cli -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && ok=$((ok + 1)); done
    ((ok == 3)) && break
    sleep 0.2
  done
  ((ok == 3)) || { echo "the Redis Cluster did not reach cluster_state:ok" >&2; exit 1; }

  for p in 1 16; do
    n=$N_CLUSTER_P1; [[ $p == 16 ]] && n=$N_CLUSTER_P16
    read -r fs fg < <(bench fastdht-3 "$n" "$p" --cluster -h 127.0.0.1 -p "$((PORT_BASE + 11))")
    read -r rs rg < <(bench redis-3 "$n" "$p" --cluster -h 127.0.0.1 -p "${redis_ports[0]}")
    row cluster-3 "$p" "$n" "$fs" "$fg" "$rs" "$rg" | tee -a "$RESULTS"
  done
  for p in "${fd_pids[@]}" "${redis_pids[@]}"; do stop_pid "$p"; done
fi
log "results in $RESULTS"
