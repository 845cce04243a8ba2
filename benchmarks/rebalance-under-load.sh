#!/usr/bin/env bash
# A 3 -> 4 node rebalance under a steady load, as a time series (docs/benchmarks.md, "Elasticity").
#
#   fastdht-loadgen rebalance: a local cluster of 3 in-process nodes plus one spare runs the dht workload (50% Get,
#   50% PutIfAbsent, 16-byte keys and values) for BEFORE seconds; then the spare starts, joins through the members,
#   and the slots are rebalanced onto it (4096 slots in 1024-slot steps, as `fastdht cluster add-node` does); the load
#   goes on for AFTER seconds. One sample per second: throughput, p99, failed operations, client retries. Writes
#   rebalance.csv, rebalance.md (the table docs/benchmarks.md takes) and rebalance.png into OUT, and prints the load
#   average before and after.
#
# Usage: benchmarks/rebalance-under-load.sh [OUT] [BEFORE] [AFTER] [KEYS] [RATE] [DUTY]
#   OUT default /tmp/elastic-rebalance, BEFORE/AFTER seconds (default 10), KEYS the key range (default 1000000),
#   RATE bytes/s each node copies moving slots (default 16777216; 0 = no limit), DUTY the percent of the time a
#   throttled copy works (default 20; 100 = the byte rate alone, the pacing before the duty cycle)
# rebalance.md also cuts every operation around the rebalance by phase (join, copy, catch-up, handover, drop).
set -euo pipefail
OUT=${1:-/tmp/elastic-rebalance}
BEFORE=${2:-10}
AFTER=${3:-10}
KEYS=${4:-1000000}
RATE=${5:-16777216}
DUTY=${6:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOADGEN="$ROOT/tools/fastdht-loadgen/bin/Release/net10.0/fastdht-loadgen.dll"
[ -f "$LOADGEN" ] || { echo "build first: dotnet build -c Release FastDht.sln" >&2; exit 1; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$LOADGEN" rebalance -w dht -k "$KEYS" -c 4 -p 16 --warmup 2s --before "${BEFORE}s" --after "${AFTER}s" --slot-move-rate "$RATE" --slot-move-duty "$DUTY" --out "$OUT"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "outputs: $OUT/rebalance.csv $OUT/rebalance.md $OUT/rebalance-windows.csv $OUT/rebalance.png"
