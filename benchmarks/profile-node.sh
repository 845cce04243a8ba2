#!/usr/bin/env bash
# Profiles one fastdht-node (RESP) while redis-benchmark drives it: a CPU-sampling trace (dotnet-trace) and the
# runtime's counters (dotnet-counters) over the same window, then the top frames and the thread-pool work items per
# request. Needs dotnet-trace and dotnet-counters (TOOLS, default /tmp/fastdht-perf-tools; installed there when absent).
# Env: DIR (the build: tools/fastdht-node/bin/Release/net10.0) C (50) P (1) SECONDS_ (10) PORT_BASE (17601)
# OUT (/tmp/fastdht-profile) TOP (25) DOTNET_ENV (extra environment for the node, e.g. "DOTNET_gcServer=1").
# Usage: bash benchmarks/profile-node.sh   (prints the top frames; the trace is $OUT/trace.nettrace, open it in
# PerfView or convert it with `dotnet-trace convert --format speedscope`).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${DIR:-$ROOT/tools/fastdht-node/bin/Release/net10.0}; C=${C:-50}; P=${P:-1}; SECS=${SECONDS_:-10}
PORT_BASE=${PORT_BASE:-17601}; OUT=${OUT:-/tmp/fastdht-profile}; TOP=${TOP:-25}; TOOLS=${TOOLS:-/tmp/fastdht-perf-tools}
mkdir -p "$OUT"
if [ ! -x "$TOOLS/dotnet-trace" ] || [ ! -x "$TOOLS/dotnet-counters" ]; then
  dotnet tool install --tool-path "$TOOLS" dotnet-trace >/dev/null
  dotnet tool install --tool-path "$TOOLS" dotnet-counters >/dev/null
fi
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
env ${DOTNET_ENV:-} dotnet "$DIR/fastdht-node.dll" --members "0=127.0.0.1:$PORT_BASE" --node-id 0 \
  --resp "127.0.0.1:$((PORT_BASE + 1))" >/dev/null 2>&1 & NODE=$!; PIDS+=($NODE)
for i in $(seq 1 300); do redis-cli -p $((PORT_BASE + 1)) ping >/dev/null 2>&1 && break; sleep 0.1; done
# Warm up (JIT, tiering), then drive GET at the chosen depth for longer than the window.
redis-benchmark -p $((PORT_BASE + 1)) -t set,get -n 200000 -r 100000 -c "$C" -P "$P" -q >/dev/null 2>&1
redis-benchmark -p $((PORT_BASE + 1)) -t get -n 100000000 -r 100000 -c "$C" -P "$P" -l -q >"$OUT/bench.txt" 2>&1 & PIDS+=($!)
sleep 2
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$OUT/counters.csv"
"$TOOLS/dotnet-counters" collect -p "$NODE" --format csv -o "$OUT/counters.csv" --duration "00:00:00:$(printf %02d "$SECS")" \
  --counters 'System.Runtime[dotnet.thread_pool.work_item.count,dotnet.gc.collections,dotnet.gc.heap.total_allocated,dotnet.process.cpu.time],FastDht' >/dev/null 2>&1 &
COUNTERS=$!
"$TOOLS/dotnet-trace" collect -p "$NODE" --profile dotnet-sampled-thread-time --duration "00:00:00:$(printf %02d "$SECS")" \
  -o "$OUT/trace.nettrace" >"$OUT/trace.log" 2>&1
wait "$COUNTERS" || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$TOOLS/dotnet-trace" report "$OUT/trace.nettrace" topN -n "$TOP"
"$TOOLS/dotnet-trace" report "$OUT/trace.nettrace" topN -n "$TOP" --inclusive
echo "counters: $OUT/counters.csv"
# Per request over the window: thread-pool work items, CPU time and bytes allocated (sums of the per-second rates).
awk -F, 'NR > 1 {
  if ($3 ~ /^dotnet.thread_pool.work_item.count/) items += $5
  else if ($3 ~ /^dotnet.process.cpu.time/) cpu += $5
  else if ($3 ~ /^dotnet.gc.heap.total_allocated/) bytes += $5
  else if ($3 ~ /^fastdht.operations/ && $3 ~ /kind=get/) ops += $5
} END {
  if (ops == 0) { print "no operations counted"; exit }
  printf "GETs in the window %.0f   work items per GET %.2f   CPU us per GET %.2f   bytes allocated per GET %.2f\n", ops, items / ops, cpu / ops * 1e6, bytes / ops
}' "$OUT/counters.csv"
