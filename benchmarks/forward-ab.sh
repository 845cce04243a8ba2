#!/usr/bin/env bash
# The RESP forward path of two builds against each other, same client, same run: A and B (directories holding
# fastdht-node.dll) each run a two-node cluster, and redis-benchmark (not cluster-aware) sends SET and GET of random
# keys to node 0 of each, so about half of its commands are forwarded to node 1 (RespExecute) and their replies
# relayed. Rounds alternate A and B, RUNS of them, so machine load hits both alike; prints one line per round and
# build, then each median and B/A. Made for the forward path's copy (session 8: a build that copied every forwarded
# command for a possible re-send after a slot move, against one that does not).
# Env: N (200000) C (50) DEPTHS ("1 16") RUNS (3) PORT_BASE (17800: 8 ports from it).
# Usage: bash benchmarks/forward-ab.sh /tmp/old-build tools/fastdht-node/bin/Release/net10.0
set -euo pipefail
A=${1:?usage: forward-ab.sh A_DIR B_DIR}; B=${2:?usage: forward-ab.sh A_DIR B_DIR}
N=${N:-200000}; C=${C:-50}; DEPTHS=${DEPTHS:-1 16}; RUNS=${RUNS:-3}; PORT_BASE=${PORT_BASE:-17800}
source "$(dirname "$0")/lib.sh"
# A cluster of more than one member needs a shared secret (docs/security.md); a throwaway one for this run.
export FASTDHT_NODE_CLUSTERSECRET="${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}"
# lib.sh stops every PID in PIDS when the script ends, however it ends.
declare -A PORT=([A]=$((PORT_BASE + 2)) [B]=$((PORT_BASE + 6)))
start_pair() { # start_pair DIR BASE: nodes 0 and 1, native ports BASE and BASE+1, RESP ports BASE+2 and BASE+3
  local dir=$1 base=$2 id
  for id in 0 1; do
    dotnet "$dir/fastdht-node.dll" --members "0=127.0.0.1:$base,1=127.0.0.1:$((base + 1))" --node-id "$id" \
      --resp "127.0.0.1:$((base + 2 + id))" --log-level warning >/dev/null 2>&1 &
    PIDS+=($!)
  done
}
start_pair "$A" "$PORT_BASE"
start_pair "$B" "$((PORT_BASE + 4))"
wait_fastdht_mesh "$((PORT_BASE + 2))" "$((PORT_BASE + 3))"
wait_fastdht_mesh "$((PORT_BASE + 6))" "$((PORT_BASE + 7))"
OUT=$(mktemp /tmp/forward-ab.XXXXXX)
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
