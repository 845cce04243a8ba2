#!/usr/bin/env bash
# FastDht (one node, RESP), Redis and Garnet side by side, same client, same run: redis-benchmark -t set,get
# -n N -r 100000 -c 50 -d 3 at -P 1 and -P 16, the three servers one after another at each depth (ORDER rotates the
# order between runs). Servers bind 127.0.0.1 and are stopped on exit. Needs redis-server/redis-benchmark (apt) and
# garnet-server (`dotnet tool install --global garnet-server`). Env: N (500000) PORT_BASE (17401) ORDER
# ("fastdht redis garnet"). Prints one line per server and depth: "P=16 redis SET: 945179.62 GET: 992063.50".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-500000}; PORT_BASE=${PORT_BASE:-17401}; ORDER=${ORDER:-fastdht redis garnet}
export PATH="$PATH:$HOME/.dotnet/tools"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
dotnet build -c Release "$ROOT/tools/fastdht-node" -v q -nologo >/dev/null
declare -A PORT=([fastdht]=$((PORT_BASE + 1)) [redis]=$((PORT_BASE + 2)) [garnet]=$((PORT_BASE + 3)))
dotnet "$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll" --members "0=127.0.0.1:$PORT_BASE" --node-id 0 \
  --resp "127.0.0.1:${PORT[fastdht]}" >/dev/null 2>&1 & PIDS+=($!)
redis-server --port "${PORT[redis]}" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 & PIDS+=($!)
garnet-server --bind 127.0.0.1 --port "${PORT[garnet]}" >/dev/null 2>&1 & PIDS+=($!)
for s in fastdht redis garnet; do
  for i in $(seq 1 100); do redis-cli -p "${PORT[$s]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
for P in 1 16; do
  for s in $ORDER; do
    printf 'P=%s %s ' "$P" "$s"
    timeout 300 redis-benchmark -p "${PORT[$s]}" -t set,get -n "$N" -r 100000 -c 50 -d 3 -P "$P" -q 2>/dev/null \
      | tr '\r' '\n' | grep -E '^(SET|GET): [0-9]' | awk '{printf "%s %s ", $1, $2}'
    echo
  done
done
