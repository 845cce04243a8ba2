#!/usr/bin/env bash
# Two builds of fastdht-node against each other, same client, same run: A and B (directories holding
# fastdht-node.dll) serve RESP on one node each and redis-benchmark alternates between them, RUNS rounds, so machine
# load hits both alike. Prints one line per round and server, then each median and B/A. Env: N (200000) C (50)
# DEPTHS ("1 16") RUNS (3) PORT_BASE (17501) DOTNET_ENV (extra environment for B only, e.g. "DOTNET_gcServer=1").
# Usage: bash benchmarks/fastdht-ab.sh /tmp/old-build tools/fastdht-node/bin/Release/net10.0
set -euo pipefail
A=${1:?usage: fastdht-ab.sh A_DIR B_DIR}; B=${2:?usage: fastdht-ab.sh A_DIR B_DIR}
N=${N:-200000}; C=${C:-50}; DEPTHS=${DEPTHS:-1 16}; RUNS=${RUNS:-3}; PORT_BASE=${PORT_BASE:-17501}
source "$(dirname "$0")/lib.sh"   # stops every PID in PIDS when the script ends; ab_alternate
dotnet "$A/fastdht-node.dll" --members "0=127.0.0.1:$PORT_BASE" --node-id 0 --resp "127.0.0.1:$((PORT_BASE + 1))" \
  >/dev/null 2>&1 & PIDS+=($!)
env ${DOTNET_ENV:-} dotnet "$B/fastdht-node.dll" --members "0=127.0.0.1:$((PORT_BASE + 2))" --node-id 0 \
  --resp "127.0.0.1:$((PORT_BASE + 3))" >/dev/null 2>&1 & PIDS+=($!)
declare -A PORT=([A]=$((PORT_BASE + 1)) [B]=$((PORT_BASE + 3)))
for s in A B; do
  for i in $(seq 1 300); do redis-cli -p "${PORT[$s]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
ab_alternate "${PORT[A]}" "${PORT[B]}"
