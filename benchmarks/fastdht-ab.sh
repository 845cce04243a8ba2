#!/usr/bin/env bash
# Two builds of fastdht-node against each other, same client, same run: A and B (directories holding
# fastdht-node.dll) serve RESP on one node each and redis-benchmark alternates between them, RUNS rounds, so machine
# load hits both alike. Prints one line per round and server, then each median and B/A. Env: N (200000) C (50)
# DEPTHS ("1 16") RUNS (3) PORT_BASE (17501) DOTNET_ENV (extra environment for B only, e.g. "DOTNET_gcServer=1").
# Usage: bash benchmarks/fastdht-ab.sh /tmp/old-build tools/fastdht-node/bin/Release/net10.0
set -euo pipefail
A=${1:?usage: fastdht-ab.sh A_DIR B_DIR}; B=${2:?usage: fastdht-ab.sh A_DIR B_DIR}
N=${N:-200000}; C=${C:-50}; DEPTHS=${DEPTHS:-1 16}; RUNS=${RUNS:-3}; PORT_BASE=${PORT_BASE:-17501}
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
dotnet "$A/fastdht-node.dll" --members "0=127.0.0.1:$PORT_BASE" --node-id 0 --resp "127.0.0.1:$((PORT_BASE + 1))" \
  >/dev/null 2>&1 & PIDS+=($!)
env ${DOTNET_ENV:-} dotnet "$B/fastdht-node.dll" --members "0=127.0.0.1:$((PORT_BASE + 2))" --node-id 0 \
  --resp "127.0.0.1:$((PORT_BASE + 3))" >/dev/null 2>&1 & PIDS+=($!)
declare -A PORT=([A]=$((PORT_BASE + 1)) [B]=$((PORT_BASE + 3)))
for s in A B; do
  for i in $(seq 1 300); do redis-cli -p "${PORT[$s]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
OUT=$(mktemp /tmp/fastdht-ab.XXXXXX)
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for P in $DEPTHS; do
  for r in $(seq 1 "$RUNS"); do
    order="A B"; [ $((r % 2)) -eq 0 ] && order="B A"
    for s in $order; do
      line=$(timeout 300 redis-benchmark -p "${PORT[$s]}" -t set,get -n "$N" -r 100000 -c "$C" -d 3 -P "$P" -q 2>/dev/null \
        | tr '\r' '\n' | grep -E '^(SET|GET): [0-9]' | awk '{printf "%s %s ", $1, $2}')
      echo "P=$P run=$r $s $line" | tee -a "$OUT"
    done
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
for P in $DEPTHS; do
  for op in SET GET; do
    a=$(grep "^P=$P " "$OUT" | awk -v s=A -v op="$op:" '$3==s {for(i=4;i<NF;i++) if($i==op) print $(i+1)}' | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
    b=$(grep "^P=$P " "$OUT" | awk -v s=B -v op="$op:" '$3==s {for(i=4;i<NF;i++) if($i==op) print $(i+1)}' | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
    awk -v P="$P" -v op="$op" -v a="$a" -v b="$b" 'BEGIN {printf "median -P %s %s: A %.0f  B %.0f  B/A %.2f\n", P, op, a, b, b / a}'
  done
done
rm -f "$OUT"
