#!/usr/bin/env bash
# What a replicated SET costs each node (issue 11): three fastdht-nodes (--resp, --replicas R: every node is the
# primary of one range and, with R=1, the replica of another), driven by `FastDht.Benchmarks resp-set` (C connections
# bound to the masters, -P SETs per round trip) as in benchmarks/replicas-vs-redis.sh. Over one window it counts, per
# SET acknowledged by the cluster (the nodes' INFO total_commands_processed), each node's CPU time, syscalls by kind,
# context switches (each one a thread that slept and was woken: a wake-up), and with COUNTERS=1 node 0's thread-pool
# work items and bytes allocated (dotnet-counters). Run it with R=0 and R=1 to see what replication adds; the counts do
# not depend on the machine's load, the CPU time does a little.
# With PERF_RECORD=1 it also samples node 0 (perf record, JIT symbols through a perf map) and prints its top symbols.
# With CALLGRAPH=1 the samples carry their stacks (frame pointers): `perf report --children` then shows inclusive time.
# Env: R (1) C (50) P (16) D (3) SECONDS_ (8) PORT_BASE (17740) COUNTERS (1) PERF_RECORD (0) CALLGRAPH (0) TOP (40)
#      DIR (tools/fastdht-node/bin/Release/net10.0) BENCH (benchmarks/bin/Release/net10.0) OUT (temp dir)
#      TOOLS (/tmp/fastdht-perf-tools: dotnet-counters, installed there when absent)
# Needs perf with tracepoint access (root, or kernel.perf_event_paranoid <= 1), redis-cli.
# Usage: R=0 bash benchmarks/profile-replicas.sh; R=1 bash benchmarks/profile-replicas.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
R=${R:-1}; C=${C:-50}; P=${P:-16}; D=${D:-3}; SECS=${SECONDS_:-8}; PORT_BASE=${PORT_BASE:-17740}
COUNTERS=${COUNTERS:-1}; PERF_RECORD=${PERF_RECORD:-0}; TOP=${TOP:-40}
DIR=${DIR:-$ROOT/tools/fastdht-node/bin/Release/net10.0}; BENCH=${BENCH:-$ROOT/benchmarks/bin/Release/net10.0}
TOOLS=${TOOLS:-/tmp/fastdht-perf-tools}
WORK=${OUT:-$(mktemp -d -t profile-replicas.XXXX)}
source "$ROOT/benchmarks/lib.sh"
mkdir -p "$WORK"
if [[ $COUNTERS == 1 && ! -x $TOOLS/dotnet-counters ]]; then dotnet tool install --tool-path "$TOOLS" dotnet-counters >/dev/null; fi
export FASTDHT_NODE_CLUSTERSECRET="${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}"

resp_port() { echo $((PORT_BASE + 11 + $1)); }
members="0=127.0.0.1:$((PORT_BASE + 1)),1=127.0.0.1:$((PORT_BASE + 2)),2=127.0.0.1:$((PORT_BASE + 3))"
NODES=()
for id in 0 1 2; do
  if redis-cli -p "$(resp_port $id)" ping >/dev/null 2>&1; then echo "port $(resp_port $id) is busy" >&2; exit 1; fi
  env $([[ $PERF_RECORD == 1 ]] && echo DOTNET_PerfMapEnabled=3 DOTNET_EnableWriteXorExecute=0) dotnet "$DIR/fastdht-node.dll" \
    --members "$members" --node-id "$id" --cluster "profile-r$R" --replicas "$R" --resp "127.0.0.1:$(resp_port $id)" \
    --log-level warning </dev/null >"$WORK/node$id.log" 2>&1 &
  PIDS+=($!); NODES+=($!)
done
for id in 0 1 2; do
  for i in $(seq 1 300); do redis-cli -p "$(resp_port $id)" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
for i in $(seq 1 300); do
  ok=0
  for id in 0 1 2; do redis-cli -c -p "$(resp_port $id)" set "ready:$id" 1 2>/dev/null | grep -q OK && ok=$((ok + 1)); done
  ((ok == 3)) && break
  sleep 0.2
done
((ok == 3)) || { echo "the cluster did not take writes (logs in $WORK)" >&2; exit 1; }
commands() { local id s=0; for id in 0 1 2; do s=$((s + $(redis-cli -p "$(resp_port $id)" info stats | tr -d '\r' | sed -n 's/^total_commands_processed://p'))); done; echo "$s"; }

# Warm-up (JIT, tiering, replicas in sync), then the load for longer than the window.
dotnet "$BENCH/FastDht.Benchmarks.dll" resp-set --seed "127.0.0.1:$(resp_port 0)" --connections "$C" --pipeline "$P" \
  --seconds 3 --value-size "$D" >/dev/null
dotnet "$BENCH/FastDht.Benchmarks.dll" resp-set --seed "127.0.0.1:$(resp_port 0)" --connections "$C" --pipeline "$P" \
  --seconds $((SECS + 6)) --value-size "$D" >"$WORK/load.txt" 2>&1 & LOAD=$!; PIDS+=($LOAD)
sleep 3
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); --replicas $R, resp-set -c $C -P $P -d $D, ${SECS} s window"
EVENTS=task-clock,context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmsg
EVENTS=$EVENTS,syscalls:sys_enter_write,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_writev
EVENTS=$EVENTS,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_futex
# While sampling, the syscall tracepoints stay off (each costs a sample's worth of kernel time per syscall).
[[ $PERF_RECORD == 1 ]] && EVENTS=task-clock,context-switches,raw_syscalls:sys_enter
STATS=()
for id in 0 1 2; do
  perf stat -x, -e "$EVENTS" -p "${NODES[$id]}" -o "$WORK/node$id.perf" -- sleep "$SECS" & STATS+=($!)
done
if [[ $COUNTERS == 1 ]]; then
  "$TOOLS/dotnet-counters" collect -p "${NODES[0]}" --format csv -o "$WORK/counters.csv" --duration "00:00:00:$(printf %02d "$SECS")" \
    --counters 'System.Runtime[dotnet.thread_pool.work_item.count,dotnet.gc.heap.total_allocated,dotnet.process.cpu.time],FastDht' >/dev/null 2>&1 & STATS+=($!)
fi
if [[ $PERF_RECORD == 1 ]]; then
  perf record -F 1999 $([[ ${CALLGRAPH:-0} == 1 ]] && echo -g) -p "${NODES[0]}" -o "$WORK/node0.data" -- sleep "$SECS" >/dev/null 2>&1 & STATS+=($!)
fi
before=$(commands)
for p in "${STATS[@]}"; do wait "$p" || true; done
after=$(commands)
sets=$((after - before))
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); SETs in the window (all nodes): $sets ($((sets / SECS))/s)"
printf '| node | CPU us/SET | ctx switches/SET | syscalls/SET | recv/SET | send/SET | epoll_wait/SET | futex/SET | other/SET |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for id in 0 1 2 all; do
  if [[ $id == all ]]; then files=("$WORK"/node[012].perf); else files=("$WORK/node$id.perf"); fi
  cat "${files[@]}" | awk -F, -v n="$sets" -v s="$id" '
    $3 ~ /task-clock/ { cpu += $1 }
    $3 ~ /context-switches/ { cs += $1 }
    $3 ~ /raw_syscalls:sys_enter/ { all += $1 }
    $3 ~ /sys_enter_(read|recvfrom|recvmsg)$/ { recv += $1 }
    $3 ~ /sys_enter_(write|sendto|sendmsg|writev)$/ { send += $1 }
    $3 ~ /sys_enter_epoll_(wait|pwait)$/ { ep += $1 }
    $3 ~ /sys_enter_futex$/ { fx += $1 }
    END { printf "| %s | %.2f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", s, cpu * 1000 / n, cs / n, all / n, recv / n, send / n, ep / n, fx / n, (all - recv - send - ep - fx) / n }'
done
if [[ $COUNTERS == 1 ]]; then
  # Node 0 serves a third of the SETs as primary (and, with R=1, applies another third as a replica).
  awk -F, -v n="$sets" 'NR > 1 {
    if ($3 ~ /^dotnet.thread_pool.work_item.count/) items += $5
    else if ($3 ~ /^dotnet.gc.heap.total_allocated/) bytes += $5
  } END { printf "node 0: thread-pool work items per SET of the cluster %.3f (x3 per SET it served), bytes allocated per SET of the cluster %.1f\n", items / n, bytes / n }' "$WORK/counters.csv"
fi
if [[ $PERF_RECORD == 1 ]]; then
  perf report -i "$WORK/node0.data" --no-children --sort sym -g none --percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$' | head -"$TOP"
  echo "perf data: $WORK/node0.data (perf report -i ... --children for callers)"
fi
wait "$LOAD" 2>/dev/null || true  # the load ends by itself shortly after the window
echo "files: $WORK"
