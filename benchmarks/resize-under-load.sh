#!/usr/bin/env bash
# A 3 -> 5 -> 3 resize under a steady load, as a time series (docs/benchmarks.md, "Elasticity"; issue 12's target:
# 0 failed operations seen by the loadgen through the resize, retries counted apart).
#
#   fastdht-loadgen rebalance --grow-to 5 --shrink-to 3: a local cluster of 3 in-process nodes plus two spares runs the
#   dht workload (50% Get, 50% PutIfAbsent, 16-byte keys and values) for BEFORE seconds; then node 3 starts, joins
#   and gets its share of the slots (as `fastdht cluster add-node`), then node 4 the same; the load runs HOLD seconds on
#   5 nodes; then node 4's slots move to the others, it leaves (another member commits the state without it, as
#   `fastdht cluster remove-node`) and stops, then node 3 the same; the load goes on AFTER seconds. One sample per
#   second: throughput, p99, failed operations, client retries, labelled by step. Writes rebalance.csv, rebalance.md
#   (the tables docs/benchmarks.md takes: by period, by step, by phase, every failed operation), rebalance-windows.csv
#   and rebalance.png (each step shaded) into OUT, and prints the load average before and after.
#
# Usage: benchmarks/resize-under-load.sh [OUT] [BEFORE] [HOLD] [AFTER] [KEYS] [RATE] [DUTY]
#   OUT default /tmp/resize-under-load, BEFORE/HOLD/AFTER seconds (default 10), KEYS the key range (default 1000000),
#   RATE bytes/s each node copies moving slots (default 16777216; 0 = no limit), DUTY the percent of the time a
#   throttled copy works (default 20).
set -euo pipefail
OUT=${1:-/tmp/resize-under-load}
BEFORE=${2:-10}
HOLD=${3:-10}
AFTER=${4:-10}
KEYS=${5:-1000000}
RATE=${6:-16777216}
DUTY=${7:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOADGEN="$ROOT/tools/fastdht-loadgen/bin/Release/net10.0/fastdht-loadgen.dll"
[ -f "$LOADGEN" ] || { echo "build first: dotnet build -c Release FastDht.sln" >&2; exit 1; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$LOADGEN" rebalance -w dht -k "$KEYS" -c 4 -p 16 --warmup 2s --before "${BEFORE}s" --grow-to 5 --hold "${HOLD}s" --shrink-to 3 --after "${AFTER}s" --slot-move-rate "$RATE" --slot-move-duty "$DUTY" --out "$OUT"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "outputs: $OUT/rebalance.csv $OUT/rebalance.md $OUT/rebalance-windows.csv $OUT/rebalance.png"
