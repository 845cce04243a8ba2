#!/usr/bin/env bash
# Three nodes on one machine, same run: FastDht's native protocol driven by fastdht-loadgen (the smart client, routing
# each key to its owner) against a three-master Redis Cluster driven by redis-benchmark --cluster, at the same depth.
#
#   fastdht   three fastdht-node processes (one cluster, memory only); fastdht-loadgen --node x3 in a process of its own,
#             ycsb-c with uniform keys (--zipf 0): R records of D bytes loaded first, then GETs of present keys, C
#             connections (one DhtClient each, one socket per node) in two client shapes:
#               each   -p P: P workers per connection, one request (one ValueTask) each
#               batch  -p 1 --batch P: one DhtBatch of P requests per connection, each owner's share written under one
#                      writer-lock hold, one awaitable for the batch
#               sockets  redis-benchmark's socket count and depth per socket: a DhtClient holds one socket per node, so
#                      -c C -p P is 3C sockets with P/3 in flight each, where redis-benchmark --cluster -c C -P P holds C
#                      sockets (each client on one master, its keys tagged for it) with P each; this shape runs
#                      -c ceil(C/3) -p round(C*P / ceil(C/3)): about C sockets, P in flight on each, C*P in all
#   redis     three redis-server masters (persistence off, --cluster-replicas 0); redis-benchmark --cluster -t set,get
#             -c C -P P -d D -r R, -n N_REDIS (the GET figure is the comparison; SET is printed too).
# Each cell is the median of RUNS runs; within a run FastDht and Redis alternate (odd runs Redis first). Both clusters
# stay up the whole time (an idle server costs nothing). The load average is printed at the start and end of each run:
# on a shared machine read the ratios, not the rates. Every process is started here and stopped by PID on exit.
#
# The loadgen's clients run on CLIENT_ENGINE (--socket-engine: epoll, FastDht's own event thread, one recv per arrival;
# runtime, .NET's engine, the loadgen's default; docs/benchmarks.md "issue 14, twelfth session").
# Env: C (50) P (16) R (100000) D (16) SECONDS_PER_RUN (10) RUNS (3) N_REDIS (6000000) PORT_BASE (17600) SKIP_BUILD (0)
#      CLIENT_ENGINE (epoll) WORK (a new temp dir)
# Smoke test: SECONDS_PER_RUN=2 RUNS=1 N_REDIS=300000 R=10000 bash benchmarks/native-vs-redis-cluster.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t native-vs-redis-cluster.XXXX)}
C=${C:-50}; P=${P:-16}; R=${R:-100000}; D=${D:-16}; SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}; RUNS=${RUNS:-3}
N_REDIS=${N_REDIS:-6000000}; PORT_BASE=${PORT_BASE:-17600}; SKIP_BUILD=${SKIP_BUILD:-0}; CLIENT_ENGINE=${CLIENT_ENGINE:-epoll}
source "$ROOT/benchmarks/lib.sh"
mkdir -p "$WORK"
for tool in redis-server redis-cli redis-benchmark dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: apt-get install redis-server redis-tools)" >&2; exit 1; }
done
NODE_DLL="$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll"
LOADGEN_DLL="$ROOT/tools/fastdht-loadgen/bin/Release/net10.0/fastdht-loadgen.dll"
export FASTDHT_NODE_CLUSTERSECRET="${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}"
[[ $SKIP_BUILD == 1 ]] || { log "building fastdht-node and fastdht-loadgen (Release)"; build_release tools/fastdht-node/fastdht-node.csproj tools/fastdht-loadgen/fastdht-loadgen.csproj; }

responds() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }
wait_up() { local i; for i in $(seq 1 300); do responds "$1" && return 0; sleep 0.1; done; echo "port $1 did not come up (logs in $WORK)" >&2; exit 1; }
refuse_busy() { if responds "$1"; then echo "port $1 already serves something: refusing to touch it" >&2; exit 1; fi; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
median() { grep . | sort -g | awk '{a[NR]=$1} END { if (NR == 0) { print "NA"; exit } if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "NA" }'; }

# FastDht: native ports PORT_BASE+1..3 (the member addresses), RESP ports PORT_BASE+11..13 (only to see the nodes up).
MEMBERS="0=127.0.0.1:$((PORT_BASE + 1)),1=127.0.0.1:$((PORT_BASE + 2)),2=127.0.0.1:$((PORT_BASE + 3))"
for id in 0 1 2; do
  refuse_busy "$((PORT_BASE + 11 + id))"
  dotnet "$NODE_DLL" --members "$MEMBERS" --node-id "$id" --resp "127.0.0.1:$((PORT_BASE + 11 + id))" --log-level warning \
    </dev/null >"$WORK/fastdht-$id.log" 2>&1 &
  PIDS+=($!)
done
for id in 0 1 2; do wait_up "$((PORT_BASE + 11 + id))"; done
wait_fastdht_mesh "$((PORT_BASE + 11))" "$((PORT_BASE + 12))" "$((PORT_BASE + 13))"

# Redis: three masters on PORT_BASE+21..23.
for k in 1 2 3; do
  port=$((PORT_BASE + 20 + k)); dir="$WORK/redis-$port"; refuse_busy "$port"; mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 </dev/null >"$dir/stdout.log" 2>&1 &
  PIDS+=($!)
done
for k in 1 2 3; do wait_up "$((PORT_BASE + 20 + k))"; done
timeout 60 redis-cli --cluster create $(for k in 1 2 3; do printf '127.0.0.1:%s ' "$((PORT_BASE + 20 + k))"; done) \
  --cluster-replicas 0 --cluster-yes >"$WORK/redis-cluster-create.log" 2>&1 || { tail -5 "$WORK/redis-cluster-create.log" >&2; exit 1; }
for i in $(seq 1 150); do
  ok=0
  for k in 1 2 3; do redis-cli -p "$((PORT_BASE + 20 + k))" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && ok=$((ok + 1)); done
  ((ok == 3)) && break
  ((i == 150)) && { echo "the Redis Cluster did not reach cluster_state:ok (logs in $WORK)" >&2; exit 1; }
  sleep 0.2
done

declare -A SAMPLES
C_SOCKETS=$(((C + 2) / 3)); P_SOCKETS=$(((C * P + C_SOCKETS / 2) / C_SOCKETS))
measure_fastdht() { # SHAPE RUN
  local shape=$1 args json rate
  case $shape in
    each) args=(-c "$C" -p "$P") ;;
    batch) args=(-c "$C" -p 1 --batch "$P") ;;
    sockets) args=(-c "$C_SOCKETS" -p "$P_SOCKETS") ;;
  esac
  json="$WORK/fastdht-$shape-$2.json"
  timeout $((SECONDS_PER_RUN + 300)) dotnet "$LOADGEN_DLL" --node "127.0.0.1:$((PORT_BASE + 1))" --node "127.0.0.1:$((PORT_BASE + 2))" \
    --node "127.0.0.1:$((PORT_BASE + 3))" -w ycsb-c --zipf 0 --keys "$R" --value-size "$D" --socket-engine "$CLIENT_ENGINE" "${args[@]}" \
    -d "${SECONDS_PER_RUN}s" --warmup 2s --progress None --json "$json" >"$WORK/fastdht-$shape-$2.txt" 2>&1 \
    || { tail -5 "$WORK/fastdht-$shape-$2.txt" >&2; exit 1; }
  rate=$(grep -o '"throughput": *[0-9.]*' "$json" | head -1 | grep -o '[0-9.]*$' | cut -d. -f1)
  [[ -n $rate ]] || { echo "no figure in $json" >&2; exit 1; }
  [[ $(grep -o '"errors": *[0-9]*' "$json" | head -1 | grep -o '[0-9]*$') == 0 ]] || log "fastdht $shape: the run had errors (see $json)"
  log "fastdht $shape ${args[*]}: $rate GET/s"
  SAMPLES["fastdht-$shape"]+="$rate"$'\n'
}
measure_redis() { # RUN
  local out set get
  out=$(timeout 600 redis-benchmark -h 127.0.0.1 -p "$((PORT_BASE + 21))" --cluster -t set,get -n "$N_REDIS" -r "$R" \
        -c "$C" -P "$P" -d "$D" -q 2>&1 | tr '\r' '\n')
  set=$(grep -o 'SET: [0-9.]* requests per second' <<<"$out" | tail -1 | grep -o '[0-9.]*' | head -1 | cut -d. -f1)
  get=$(grep -o 'GET: [0-9.]* requests per second' <<<"$out" | tail -1 | grep -o '[0-9.]*' | head -1 | cut -d. -f1)
  [[ -n $get ]] || { echo "no redis-benchmark figure: $out" >&2; exit 1; }
  log "redis --cluster -P $P: SET $set/s, GET $get/s"
  SAMPLES[redis-set]+="$set"$'\n'; SAMPLES[redis-get]+="$get"$'\n'
}

LOADS=()
for ((run = 0; run < RUNS; run++)); do
  start=$(loadavg)
  if ((run % 2 == 0)); then measure_fastdht each "$run"; measure_fastdht batch "$run"; measure_fastdht sockets "$run"; measure_redis "$run"
  else measure_redis "$run"; measure_fastdht sockets "$run"; measure_fastdht batch "$run"; measure_fastdht each "$run"; fi
  LOADS+=("run $((run + 1)): $start -> $(loadavg)")
done

each=$(median <<<"${SAMPLES[fastdht-each]}"); batch=$(median <<<"${SAMPLES[fastdht-batch]}"); sockets=$(median <<<"${SAMPLES[fastdht-sockets]}")
rset=$(median <<<"${SAMPLES[redis-set]}"); rget=$(median <<<"${SAMPLES[redis-get]}")
{
  echo "$(date -u +%FT%TZ), $(nproc) cores, $(redis-server --version | awk '{print $3}'), dotnet $(dotnet --version), main $(git -C "$ROOT" rev-parse --short HEAD);"
  echo "3 nodes each, -c $C, depth $P, $D-byte values over $R keys, ${SECONDS_PER_RUN} s per FastDht run (clients on --socket-engine $CLIENT_ENGINE), redis-benchmark -n $N_REDIS, median of $RUNS."
  printf 'Load average: %s.\n\n' "$(IFS=';'; echo "${LOADS[*]}")"
  echo "| client | command shape | GET/s | Redis Cluster GET/s (-P $P) | FastDht / Redis |"
  echo "|---|---|---:|---:|---:|"
  echo "| fastdht-loadgen | \`-c $C -p $P\` (a ValueTask per request) | $each | $rget | $(ratio "$each" "$rget") |"
  echo "| fastdht-loadgen | \`-c $C -p 1 --batch $P\` (one DhtBatch per connection) | $batch | $rget | $(ratio "$batch" "$rget") |"
  echo "| fastdht-loadgen | \`-c $C_SOCKETS -p $P_SOCKETS\` ($((3 * C_SOCKETS)) sockets, about $P in flight each, as redis-benchmark's $C) | $sockets | $rget | $(ratio "$sockets" "$rget") |"
  echo
  echo "Redis Cluster SET/s at the same depth: $rset."
} | tee "$WORK/table.md"
