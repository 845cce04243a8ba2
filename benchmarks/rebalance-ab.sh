#!/usr/bin/env bash
# Two builds' 3 -> 4 rebalance under load against each other, same machine, same run: A and B are directories holding
# fastdht-loadgen.dll (e.g. a worktree of the commit before a change, and this one). Each round runs
# `fastdht-loadgen rebalance` as rebalance-under-load.sh does, A then B (the order flips each round, so machine load
# hits both alike), RUNS rounds; prints each run's p99 by what the cluster did (before, copy, handover, drop, the moves:
# p99 µs, the ratio to before, and the operations) and then each build's median ratio for the moves and the drop.
# Made for the old owner's drop of its copies (session 8: one pass against batches that rest between them).
# Env: RUNS (3) BEFORE (10) AFTER (10) KEYS (1000000) RATE (16777216) DUTY (20) OUT (/tmp/rebalance-ab)
# Usage: bash benchmarks/rebalance-ab.sh /tmp/old/tools/fastdht-loadgen/bin/Release/net10.0 tools/fastdht-loadgen/bin/Release/net10.0
set -euo pipefail
A=${1:?usage: rebalance-ab.sh A_DIR B_DIR}; B=${2:?usage: rebalance-ab.sh A_DIR B_DIR}
RUNS=${RUNS:-3}; BEFORE=${BEFORE:-10}; AFTER=${AFTER:-10}; KEYS=${KEYS:-1000000}; RATE=${RATE:-16777216}; DUTY=${DUTY:-20}
OUT=${OUT:-/tmp/rebalance-ab}
declare -A DIR=([A]=$A [B]=$B)
for s in A B; do
  [ -f "${DIR[$s]}/fastdht-loadgen.dll" ] || { echo "no fastdht-loadgen.dll in ${DIR[$s]}: build it first" >&2; exit 1; }
done
mkdir -p "$OUT"
: > "$OUT/rows.txt"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$RUNS"); do
  order="A B"; [ $((r % 2)) -eq 0 ] && order="B A"
  for s in $order; do
    run="$OUT/$s-$r"
    load=$(cut -d' ' -f1 /proc/loadavg)
    dotnet "${DIR[$s]}/fastdht-loadgen.dll" rebalance -w dht -k "$KEYS" -c 4 -p 16 --warmup 2s --before "${BEFORE}s" \
      --after "${AFTER}s" --slot-move-rate "$RATE" --slot-move-duty "$DUTY" --out "$run" > "$run.log" 2>&1
    # The second table of rebalance.md (operations by what the cluster did): | while | operations | p50 | p99 | p99.9 | max | ratio |
    line=$(awk '/^\| while /{t=1} t && /^\| (before|copy|handover|drop|\*\*the moves\*\*)/ {
        gsub(/\*\*/, ""); split($0, c, "|"); name=c[2]; gsub(/^ +| +$/, "", name); sub(/ \(.*/, "", name)
        gsub(/ /, "", c[3]); gsub(/ /, "", c[5]); gsub(/ /, "", c[8]); printf "%s %s (%s, %s ops) | ", name, c[5], c[8], c[3] }' "$run/rebalance.md")
    echo "run=$r $s load=$load | $line" | tee -a "$OUT/rows.txt"
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
for what in "the moves" "drop"; do
  for s in A B; do
    grep " $s load=" "$OUT/rows.txt" | awk -v w="$what" -F'|' '{for (i = 2; i <= NF; i++) if (index($i, " " w " ") == 1) { split($i, f, "("); split(f[2], g, "x"); print g[1] }}' \
      | sort -n | awk -v s="$s" -v w="$what" '{v[NR]=$1} END {printf "median p99/before, %s, %s: %sx over %d runs\n", w, s, v[int((NR+1)/2)], NR}'
  done
done
echo "runs: $OUT/{A,B}-N/rebalance.md"
