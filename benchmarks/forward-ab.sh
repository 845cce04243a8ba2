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
ab_alternate "${PORT[A]}" "${PORT[B]}"
