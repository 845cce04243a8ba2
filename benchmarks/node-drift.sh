#!/usr/bin/env bash
# Does a fastdht-node slow down as it keeps serving overwrites? The same redis-benchmark run RUNS times against one
# long-lived node ("same"), against a node started fresh (and warmed up) for each round ("fresh"), and against
# redis-server ("redis", the machine's control) and optionally garnet-server ("garnet"), servers alternating within each round in a rotated order. Every run
# is counted, not only timed, because on a shared machine the time moves with other people's work:
#   server us/req    the server process's CPU (user + system, /proc/PID/stat) per request
#   client us/req    redis-benchmark's CPU per request
#   others us/req    CPU the rest of the machine used during the run (all busy time in /proc/stat minus the server's, the
#                    client's and the idle servers'), per request: high when other engineers' jobs ran during this run
#   steal us/req     time the hypervisor gave to other guests during the run, per request
#   idle us/req      CPU the other servers this script started used during the run while nobody sent them anything
#                    (a server that keeps working after its own run slows the next one: background GC, spinning)
#   nvcsw/req        the server's involuntary context switches per request (preempted by someone else)
#   gc0/gc1/gc2 /M   collections per million requests; pause us/req the GC's pause time per request
#   alloc B/req      bytes the node allocated per request (GC.GetTotalAllocatedBytes)
#   tp items/req     thread-pool work items the node ran per request
#   heap/gen2/loh/frag MB  as of the node's last collection after the run; rss MB the process's resident set
# (The node's figures come from INFO memory and INFO cpu: fastdht_gc_*, fastdht_threadpool_*.)
# A node that slows with age shows it as server us/req rising with the round for "same" and not for "fresh"; a machine
# that slows shows it in others/steal and in redis's rate, with every server's us/req flat.
# Env: N (3000000) P (16) C (50) D (16) R (100000) RUNS (5) OPS ("set get": one redis-benchmark run per op, each
#      counted separately) WARMUP_N (200000: -t set,get at -P 16 then -P 1 before a node's first measured run, as
#      resp-three-way.sh does) SERVERS ("same fresh redis") NODE_ENV (extra environment for both FastDht nodes, e.g.
#      "DOTNET_GCgen0size=0x4000000") GARNET (garnet-server to use; else lib.sh's find_garnet) DIR (the fastdht-node build) PORT_BASE (17700) BENCH_TIMEOUT (600)
# Usage: PORT_BASE=41500 bash benchmarks/node-drift.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-3000000}; P=${P:-16}; C=${C:-50}; D=${D:-16}; R=${R:-100000}; RUNS=${RUNS:-5}; OPS=${OPS:-set get}
WARMUP_N=${WARMUP_N:-200000}; SERVERS=${SERVERS:-same fresh redis}; NODE_ENV=${NODE_ENV:-}
DIR=${DIR:-$ROOT/tools/fastdht-node/bin/Release/net10.0}; PORT_BASE=${PORT_BASE:-17700}; BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
WORK=$(mktemp -d /tmp/node-drift.XXXXXX)
source "$ROOT/benchmarks/lib.sh"
TICK=$(getconf CLK_TCK)
declare -A PORT PID_OF

start_node() { # NAME PORT: a one-node FastDht with RESP on PORT (native on PORT-1), warmed up
  local name=$1 port=$2 i
  env $NODE_ENV dotnet "$DIR/fastdht-node.dll" --members "0=127.0.0.1:$((port - 1))" --node-id 0 --resp "127.0.0.1:$port" \
    --log-level warning </dev/null >"$WORK/$name-$port.log" 2>&1 &
  PIDS+=($!); PID_OF[$name]=$!; PORT[$name]=$port
  # A write that succeeds, not just an answer (a node loading its data answers PING but refuses writes).
  for i in $(seq 1 300); do redis-cli -p "$port" set node-drift:ready 1 2>/dev/null | grep -q OK && break; sleep 0.1; done
  redis-cli -p "$port" set node-drift:ready 1 2>/dev/null | grep -q OK || { echo "node $name did not come up (log $WORK)" >&2; exit 1; }
  warm_up "$port"
}
warm_up() { # PORT: JIT tiers and the keys in place, untimed
  local p
  ((WARMUP_N > 0)) || return 0
  for p in 16 1; do
    timeout "$BENCH_TIMEOUT" redis-benchmark -p "$1" -t set,get -n "$WARMUP_N" -r "$R" -c "$C" -d "$D" -P "$p" -q >/dev/null 2>&1
  done
}
# Snapshot of one process: utime stime (ticks) nonvoluntary-switches; of the machine: busy steal (ticks).
proc_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
# CPU ticks of every started server but PID, summed (the fresh node only while it runs).
idle_ticks() { local n t=0 q; for n in "${!PID_OF[@]}"; do q=${PID_OF[$n]}; [[ $q == "$1" ]] && continue
  [[ -r /proc/$q/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$q/stat"))); done; echo "$t"; }
proc_nvcsw() { awk '/^nonvoluntary_ctxt_switches/ {print $2}' "/proc/$1/status"; }
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $9}' /proc/stat; }  # user nice system irq softirq; steal
# A FastDht node's counters (INFO memory + cpu) as "key=value ..." ; empty for Redis.
node_counters() {
  redis-cli -p "$1" info memory cpu 2>/dev/null | tr -d '\r' | awk -F: '/^fastdht_(gc|threadpool)_/ {printf "%s=%s ", $1, $2}
    /^used_memory_rss:/ {printf "rss=%s ", $2}'
}
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
# A counter's growth over the run (c0 before, c1 after); 0 when the build does not report it.
delta() { local a b; a=$(field "$c0" "$1"); b=$(field "$c1" "$1"); echo $(( ${b:-0} - ${a:-0} )); }

port=$PORT_BASE
for s in $SERVERS; do
  port=$((port + 2))
  case $s in
    same) start_node same "$port" ;;
    redis)
      redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" </dev/null >"$WORK/redis.log" 2>&1 &
      PIDS+=($!); PID_OF[redis]=$!; PORT[redis]=$port
      for i in $(seq 1 100); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
      warm_up "$port" ;;
    garnet)
      [[ -n ${GARNET:-} ]] || find_garnet
      # Garnet listens on every interface unless told otherwise.
      "$GARNET" --bind 127.0.0.1 --port "$port" --checkpointdir "$WORK/garnet" </dev/null >"$WORK/garnet.log" 2>&1 &
      PIDS+=($!); PID_OF[garnet]=$!; PORT[garnet]=$port
      for i in $(seq 1 100); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
      warm_up "$port" ;;
    fresh) PORT[fresh]=$port ;;  # started in each round
    *) echo "unknown server $s (same, fresh, redis, garnet)" >&2; exit 2 ;;
  esac
done
FRESH_BASE=$((port + 10))

read -ra NAMES <<<"$SERVERS"
echo "node-drift: -P $P -n $N -c $C -d $D -r $R, $RUNS rounds, ops: $OPS, node env: ${NODE_ENV:-none}; $(date -u '+%F %H:%M') UTC; load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
printf '%-5s %-6s %-3s %9s %7s %7s %7s %7s %7s %6s %6s %6s %6s %6s %7s %7s %7s %7s %7s %7s %7s %7s\n' round server op req/s \
  srv_us cli_us oth_us idle_us steal nvcsw gc0/M gc1/M gc2/M pauseus allocB tpitems heapMB gen2MB lohMB fragMB rssMB tpthr
for r in $(seq 1 "$RUNS"); do
  k=$(( (r - 1) % ${#NAMES[@]} ))
  order=("${NAMES[@]:$k}" "${NAMES[@]:0:$k}")
  for s in "${order[@]}"; do
    if [[ $s == fresh ]]; then start_node fresh $((FRESH_BASE + 2 * r)); fi
    pid=${PID_OF[$s]}; port=${PORT[$s]}
    for op in $OPS; do
      c0=$(node_counters "$port"); read -r u0 s0 <<<"$(proc_ticks "$pid")"; v0=$(proc_nvcsw "$pid")
      read -r m0 st0 <<<"$(machine_ticks)"; i0=$(idle_ticks "$pid")
      out=$( { /usr/bin/time -f "client %U %S" timeout "$BENCH_TIMEOUT" redis-benchmark -p "$port" -t "$op" -n "$N" -r "$R" \
        -c "$C" -P "$P" -d "$D" -q; } 2>&1 | tr '\r' '\n')
      read -r m1 st1 <<<"$(machine_ticks)"; i1=$(idle_ticks "$pid")
      read -r u1 s1 <<<"$(proc_ticks "$pid")"; v1=$(proc_nvcsw "$pid"); c1=$(node_counters "$port")
      rps=$(grep -oE '[0-9.]+ requests per second' <<<"$out" | head -1 | cut -d' ' -f1)
      cli=$(awk '/^client / {print $2 + $3}' <<<"$out")
      [[ -n $rps && -n $cli ]] || { echo "could not read redis-benchmark's output ($s $op):" >&2; tail -3 <<<"$out" >&2; exit 1; }
      line=$(awk -v N="$N" -v tick="$TICK" -v rps="$rps" -v cli="$cli" -v srv=$((u1 - u0 + s1 - s0)) -v busy=$((m1 - m0)) \
        -v steal=$((st1 - st0)) -v nv=$((v1 - v0)) -v idle=$((i1 - i0)) 'BEGIN {
          srv_s = srv / tick; oth = (busy - idle) / tick - srv_s - cli; if (oth < 0) oth = 0
          printf "%9.0f %7.3f %7.3f %7.3f %7.3f %7.3f %6.3f", rps, srv_s * 1e6 / N, cli * 1e6 / N, oth * 1e6 / N, idle / tick * 1e6 / N,
            steal / tick * 1e6 / N, nv / N }')
      if [[ -n $c0 ]]; then
        line+=$(awk -v N="$N" \
          -v g0="$(delta fastdht_gc_gen0_collections)" \
          -v g1="$(delta fastdht_gc_gen1_collections)" \
          -v g2="$(delta fastdht_gc_gen2_collections)" \
          -v ms="$(delta fastdht_gc_pause_total_ms)" \
          -v al="$(delta fastdht_gc_allocated_bytes)" \
          -v tp="$(delta fastdht_threadpool_completed_items)" \
          -v heap="$(field "$c1" fastdht_gc_heap_bytes)" -v gen2="$(field "$c1" fastdht_gc_gen2_bytes)" \
          -v loh="$(field "$c1" fastdht_gc_loh_bytes)" -v frag="$(field "$c1" fastdht_gc_fragmented_bytes)" \
          -v rss="$(field "$c1" rss)" -v thr="$(field "$c1" fastdht_threadpool_threads)" 'BEGIN {
            M = 1048576
            printf " %6.2f %6.2f %6.2f %7.3f %7.1f %7.3f %7.1f %7.1f %7.1f %7.1f %7.1f %7d", g0 * 1e6 / N, g1 * 1e6 / N, g2 * 1e6 / N,
              ms * 1e3 / N, al / N, tp / N, heap / M, gen2 / M, loh / M, frag / M, rss / M, thr }')
      fi
      printf '%-5s %-6s %-3s %s\n' "$r" "$s" "$op" "$line" | tee -a "$WORK/runs.txt"
    done
    if [[ $s == fresh ]]; then stop_pid "$pid"; fi
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
# Per server and op: the first round against the median of the others, for the columns the question is about.
for s in "${NAMES[@]}"; do
  for op in $OPS; do
    awk -v s="$s" -v op="$op" '$2 == s && $3 == op { n++; rps[n] = $4; srv[n] = $5; oth[n] = $7 }
      END { if (!n) exit; printf "%s %s: req/s", s, op; for (i = 1; i <= n; i++) printf " %s", rps[i];
            printf "; server us/req"; for (i = 1; i <= n; i++) printf " %s", srv[i];
            printf "; others us/req"; for (i = 1; i <= n; i++) printf " %s", oth[i]; printf "\n" }' "$WORK/runs.txt"
  done
done
rm -rf "$WORK"
