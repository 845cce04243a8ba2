#!/usr/bin/env bash
# Kernel work per request, independent of the machine's load: syscalls (by kind) and CPU time of one server process
# per request while redis-benchmark drives a fixed number of requests at it. Counts come from perf's syscall
# tracepoints on the server's threads (perf stat -p), so they are exact and do not depend on how busy the machine is;
# CPU time (task-clock) does, a little (cache misses under load). Runs FastDht and Redis the same way, one after the
# other, so the two columns compare directly.
# DRIVER=native drives the node's native port with fastdht-loadgen instead (C connections x P in flight, N Gets of the
# dht workload with --read-share 1; FastDht only), for the native batch path's cost per request on the node alone.
# SERVERS names what to run, side by side in one run: fastdht (the node with its default socket engine), runtime and
# epoll (the node with --socket-engine runtime / epoll), redis.
# Env: DIR (the FastDht build: tools/fastdht-node/bin/Release/net10.0) C (50) P (1) N (200000) T (get: the test)
# SERVERS ("runtime epoll redis") PORT_BASE (17641) DOTNET_ENV (extra environment for the node, e.g. "DOTNET_gcServer=1")
# DRIVER (resp | native) LOADGEN (tools/fastdht-loadgen/bin/Release/net10.0) CLIENT (0; 1: also count redis-benchmark's
# own syscalls and CPU per request, a "client" row under each server: how often the client wakes for its replies).
# Needs perf with tracepoint access (root, or kernel.perf_event_paranoid <= 1).
# Usage: bash benchmarks/syscalls-per-request.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${DIR:-$ROOT/tools/fastdht-node/bin/Release/net10.0}; C=${C:-50}; P=${P:-1}; N=${N:-200000}; T=${T:-get}
SERVERS=${SERVERS:-runtime epoll redis}; PORT_BASE=${PORT_BASE:-17641}; DRIVER=${DRIVER:-resp}; CLIENT=${CLIENT:-0}
LOADGEN=${LOADGEN:-$ROOT/tools/fastdht-loadgen/bin/Release/net10.0}
if [ "$DRIVER" = native ]; then SERVERS=${SERVERS//redis/}; fi
WORK=$(mktemp -d /tmp/perf-syscalls.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
EVENTS=task-clock,raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmsg
EVENTS=$EVENTS,syscalls:sys_enter_write,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_writev
EVENTS=$EVENTS,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_futex
if [ "$DRIVER" = native ]; then
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); fastdht-loadgen --node (native) -c $C -p $P --operations $N --read-share 1 --keys 100000"
else
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); redis-benchmark -t $T -n $N -r 100000 -c $C -P $P -d 16"
fi
printf '| server | CPU us/req | syscalls/req | recv/req | send/req | epoll_wait/req | futex/req | other/req | req/s (load-dependent) |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for s in $SERVERS; do
  port=$((PORT_BASE + 1))
  if [ "$s" != redis ]; then
    engine=(); if [ "$s" != fastdht ]; then engine=(--socket-engine "$s"); fi
    env ${DOTNET_ENV:-} dotnet "$DIR/fastdht-node.dll" --members "0=127.0.0.1:$PORT_BASE" --node-id 0 \
      --resp "127.0.0.1:$port" "${engine[@]}" >"$WORK/$s.log" 2>&1 & pid=$!
  else
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/$s.log" 2>&1 & pid=$!
  fi
  PIDS+=($pid)
  for i in $(seq 1 300); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  # Warm up (JIT, tiering, the keys), then count over exactly N requests.
  redis-benchmark -p "$port" -t set,get -n 300000 -r 100000 -c "$C" -P "$P" -d 16 -q >/dev/null 2>&1
  if [ "$DRIVER" = native ]; then
    # The loadgen's own start-up (JIT, connections, its unmeasured warm-up) runs before the count starts: one
    # unmeasured run first, so the node's code is warm, then the counted one with no warm-up of its own.
    dotnet "$LOADGEN/fastdht-loadgen.dll" --node "127.0.0.1:$PORT_BASE" -c "$C" -p "$P" -d 3s --warmup 1s --read-share 1 --progress None >/dev/null 2>&1
  fi
  perf stat -x, -e "$EVENTS" -p "$pid" -o "$WORK/$s.perf" & stat=$!
  sleep 0.5
  if [ "$DRIVER" = native ]; then
    dotnet "$LOADGEN/fastdht-loadgen.dll" --node "127.0.0.1:$PORT_BASE" -c "$C" -p "$P" --operations "$N" --warmup 0 --read-share 1 \
      --progress None --json "$WORK/native.json" >"$WORK/native.txt" 2>&1
    rate=$(grep -o '"throughput"[^,]*' "$WORK/native.json" | head -1 | grep -o '[0-9.]*$' || echo "?")
  else
    client=(); if [ "$CLIENT" = 1 ]; then client=(perf stat -x, -e "$EVENTS" -o "$WORK/$s.client.perf" --); fi
    rate=$("${client[@]}" redis-benchmark -p "$port" -t "$T" -n "$N" -r 100000 -c "$C" -P "$P" -d 16 -q 2>/dev/null | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1 | cut -d' ' -f1)
  fi
  sleep 0.5
  kill -INT "$stat"; wait "$stat" 2>/dev/null || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
  row() {
    awk -F, -v n="$N" -v s="$1" -v rate="$rate" '
    $3 == "task-clock" || $3 ~ /task-clock/ { cpu = $1 }
    $3 ~ /raw_syscalls:sys_enter/ { all = $1 }
    $3 ~ /sys_enter_(read|recvfrom|recvmsg)$/ { recv += $1 }
    $3 ~ /sys_enter_(write|sendto|sendmsg|writev)$/ { send += $1 }
    $3 ~ /sys_enter_epoll_(wait|pwait)$/ { ep += $1 }
    $3 ~ /sys_enter_futex$/ { fx += $1 }
    END { printf "| %s | %.2f | %.2f | %.2f | %.2f | %.3f | %.3f | %.2f | %s |\n", s, cpu * 1000 / n, all / n, recv / n, send / n, ep / n, fx / n, (all - recv - send - ep - fx) / n, rate }' "$2"
  }
  row "$s" "$WORK/$s.perf"
  if [ -f "$WORK/$s.client.perf" ]; then row "$s client" "$WORK/$s.client.perf"; fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
