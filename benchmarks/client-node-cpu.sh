#!/usr/bin/env bash
# CPU and syscalls per request of the client process and of the node processes, measured apart over the same window:
# NODES fastdht-node processes (one cluster, memory only) driven by fastdht-loadgen --node (a process of its own); after
# a warm-up run, `perf stat -p` counts the loadgen and the nodes over WINDOW seconds inside the loadgen's measured phase
# (task-clock, context switches, syscalls by kind), divided by the requests of that window (the run's throughput x WINDOW).
# PERF=1 adds `perf record` of both sides (2 s, JIT symbols through DOTNET_PerfMapEnabled) and prints the top symbols.
# Counts per request do not depend on the machine's load much; requests per second do (printed, not compared).
# Env: ROOT (the checkout whose Release build is measured; this one) NODES (1) C (2) P (512) BATCH (0: -p P; N: -p 1
#      --batch N) WL (the workload options; default --read-share 1 --keys 100000) SECS (8) WARM (3) WINDOW (4)
#      PORT_BASE (17800) PERF (0) TOP (40) PERF_ARGS (more perf record options, e.g. -g for call graphs)
#      LG_ENV ("VAR=value ..." for the loadgen process only, e.g. DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0)
# Examples: bash benchmarks/client-node-cpu.sh                                      # 1 node, 2 x 512
#           NODES=3 C=50 P=16 WL="-w ycsb-c --zipf 0 --keys 100000 --value-size 16" bash benchmarks/client-node-cpu.sh
set -euo pipefail
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
NODES=${NODES:-1}; C=${C:-2}; P=${P:-512}; BATCH=${BATCH:-0}; SECS=${SECS:-8}; WARM=${WARM:-3}; WINDOW=${WINDOW:-4}
PORT_BASE=${PORT_BASE:-17800}; WL=${WL:-}; PERF=${PERF:-0}; TOP=${TOP:-40}; PERF_ARGS=${PERF_ARGS:-}; LG_ENV=${LG_ENV:-}
read -r -a LGE <<<"$LG_ENV"
NODE_DLL=$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll
LG_DLL=$ROOT/tools/fastdht-loadgen/bin/Release/net10.0/fastdht-loadgen.dll
WORK=$(mktemp -d /tmp/client-node-cpu.XXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
EV=task-clock,context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg
EV=$EV,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex
MEMBERS=""
for ((i = 0; i < NODES; i++)); do MEMBERS+="${MEMBERS:+,}$i=127.0.0.1:$((PORT_BASE + 1 + i))"; done
if [[ $PERF == 1 ]]; then export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0; fi
export FASTDHT_NODE_CLUSTERSECRET=${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}
NODEPIDS=()
for ((i = 0; i < NODES; i++)); do
  dotnet "$NODE_DLL" --members "$MEMBERS" --node-id $i --resp "127.0.0.1:$((PORT_BASE + 11 + i))" --log-level warning </dev/null >"$WORK/node$i.log" 2>&1 &
  PIDS+=($!); NODEPIDS+=($!)
done
for ((i = 0; i < NODES; i++)); do
  for t in $(seq 1 300); do redis-cli -p $((PORT_BASE + 11 + i)) ping >/dev/null 2>&1 && break; sleep 0.1; done
done
sleep 2 # the mesh
NODEARGS=(); for ((i = 0; i < NODES; i++)); do NODEARGS+=(--node "127.0.0.1:$((PORT_BASE + 1 + i))"); done
if ((BATCH > 0)); then SHAPE=(-c "$C" -p 1 --batch "$BATCH"); else SHAPE=(-c "$C" -p "$P"); fi
if [[ -n $WL ]]; then read -r -a W <<<"$WL"; else W=(--read-share 1 --keys 100000); fi
# A warm-up run: the nodes' JIT, the keys loaded (YCSB workloads).
env "${LGE[@]}" dotnet "$LG_DLL" "${NODEARGS[@]}" "${W[@]}" "${SHAPE[@]}" -d 3s --warmup 1s --progress None >/dev/null 2>&1
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); nodes=$NODES ${SHAPE[*]} ${W[*]} root=$ROOT${LG_ENV:+ loadgen env: $LG_ENV}"
env "${LGE[@]}" dotnet "$LG_DLL" "${NODEARGS[@]}" "${W[@]}" "${SHAPE[@]}" -d "${SECS}s" --warmup "${WARM}s" --progress None --json "$WORK/lg.json" >"$WORK/lg.txt" 2>&1 &
lg=$!; PIDS+=($lg)
sleep $((WARM + 1))
perf stat -x, -e "$EV" -p $lg -o "$WORK/client.perf" -- sleep "$WINDOW" & s1=$!
perf stat -x, -e "$EV" -p "$(IFS=,; echo "${NODEPIDS[*]}")" -o "$WORK/nodes.perf" -- sleep "$WINDOW" & s2=$!
wait $s1 $s2
if [[ $PERF == 1 ]]; then
  perf record -F 1999 $PERF_ARGS -p $lg -o "$WORK/client.data" -- sleep 2 >/dev/null 2>&1 & r1=$!
  perf record -F 1999 $PERF_ARGS -p "$(IFS=,; echo "${NODEPIDS[*]}")" -o "$WORK/nodes.data" -- sleep 2 >/dev/null 2>&1 & r2=$!
  wait $r1 $r2
fi
wait $lg || { cat "$WORK/lg.txt"; exit 1; }
rate=$(grep -o '"throughput": *[0-9.]*' "$WORK/lg.json" | head -1 | grep -o '[0-9.]*$')
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); throughput $rate ops/s (the whole measured phase)"
for side in client nodes; do
  awk -F, -v rate="$rate" -v win="$WINDOW" -v side="$side" '
    $3 ~ /task-clock/ { cpu = $1 } $3 == "context-switches" { cs = $1 } $3 ~ /raw_syscalls/ { sc = $1 }
    $3 ~ /recvfrom/ { rv = $1 } $3 ~ /sendto/ { sd = $1 } $3 ~ /sendmsg/ { sm = $1 } $3 ~ /epoll_wait/ { ep = $1 } $3 ~ /futex/ { fx = $1 }
    END { n = rate * win; printf "%-6s CPU us/req %.3f  ctxsw/req %.4f  syscalls/req %.4f  recv %.4f send %.4f sendmsg %.4f epoll_wait %.4f futex %.4f  (cores busy %.2f)\n",
          side, cpu * 1000 / n, cs / n, sc / n, rv / n, sd / n, sm / n, ep / n, fx / n, cpu / 1000 / win }' "$WORK/$side.perf"
done
if [[ $PERF == 1 ]]; then
  for side in client nodes; do
    echo "== top symbols, $side"
    perf report -i "$WORK/$side.data" --no-children --sort dso,symbol --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -"$TOP" | cut -c1-200
  done
fi
