#!/usr/bin/env bash
# Failover time (issue 11): from SIGKILL of a primary to the first acknowledged write to one of its keys, under load.
#
#   Each round starts a fresh 3-node cluster on 127.0.0.1 (fastdht-node --replicas 1, default --failover-timeout and
#   --election-timeout unless FAILOVER_TIMEOUT / ELECTION_TIMEOUT say otherwise), and runs
#   `FastDht.Benchmarks failover-probe` (benchmarks/Failover/FailoverProbe.cs): it waits until every replica is in sync
#   (the nodes' /cluster), loads the cluster with WRITERS writers over every range through the smart client, writes one
#   key of the victim's range in a loop, kills the victim (SIGKILL) and times until that key's write is acknowledged
#   again. The victim rotates over the three nodes, so some rounds kill the Raft leader too (its loss adds an
#   election). Prints every round, then the median and the worst, with the load average.
#
# Env: ROUNDS (10) WRITERS (8) PORT_BASE (17600) FAILOVER_TIMEOUT (node default) ELECTION_TIMEOUT (node default)
#      SKIP_BUILD (0) WORK (a new temp dir)
# Smoke test: ROUNDS=2 bash benchmarks/failover-time.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t failover-time.XXXX)}
ROUNDS=${ROUNDS:-10}; WRITERS=${WRITERS:-8}; PORT_BASE=${PORT_BASE:-17600}; SKIP_BUILD=${SKIP_BUILD:-0}
source "$ROOT/benchmarks/lib.sh"
mkdir -p "$WORK"
NODE_DLL="$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll"
BENCH_DLL="$ROOT/benchmarks/bin/Release/net10.0/FastDht.Benchmarks.dll"
export FASTDHT_NODE_CLUSTERSECRET="${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}"
[[ $SKIP_BUILD == 1 ]] || { log "building fastdht-node and the benchmarks (Release)"; build_release tools/fastdht-node/fastdht-node.csproj benchmarks/FastDht.Benchmarks.csproj; }
extra=()
[[ -n ${FAILOVER_TIMEOUT:-} ]] && extra+=(--failover-timeout "$FAILOVER_TIMEOUT")
[[ -n ${ELECTION_TIMEOUT:-} ]] && extra+=(--election-timeout "$ELECTION_TIMEOUT")

members="0=127.0.0.1:$((PORT_BASE + 1)),1=127.0.0.1:$((PORT_BASE + 2)),2=127.0.0.1:$((PORT_BASE + 3))"
seeds="127.0.0.1:$((PORT_BASE + 1)),127.0.0.1:$((PORT_BASE + 2)),127.0.0.1:$((PORT_BASE + 3))"
http="127.0.0.1:$((PORT_BASE + 11)),127.0.0.1:$((PORT_BASE + 12)),127.0.0.1:$((PORT_BASE + 13))"
results=()
start_load=$(cut -d' ' -f1-3 /proc/loadavg)
for ((round = 0; round < ROUNDS; round++)); do
  node_pids=()
  for id in 0 1 2; do
    dotnet "$NODE_DLL" --members "$members" --node-id "$id" --cluster failover-time --replicas 1 \
      --http "127.0.0.1:$((PORT_BASE + 11 + id))" --log-level warning "${extra[@]}" \
      </dev/null >"$WORK/round$round-node$id.log" 2>&1 &
    PIDS+=($!); node_pids+=($!)
  done
  victim=$((round % 3))
  out=$(timeout 120 dotnet "$BENCH_DLL" failover-probe --seeds "$seeds" --http "$http" --cluster failover-time \
        --victim "$victim" --victim-pid "${node_pids[$victim]}" --writers "$WRITERS" 2>&1) \
    || { echo "round $round failed: $out (logs in $WORK)" >&2; exit 1; }
  ms=$(sed -n 's/.*failover_ms=\([0-9.]*\).*/\1/p' <<<"$out")
  [[ -n $ms ]] || { echo "round $round: no figure in: $out" >&2; exit 1; }
  log "round $((round + 1)) of $ROUNDS, killed node $victim: $out"
  results+=("$ms")
  for p in "${node_pids[@]}"; do stop_pid "$p"; done
done
end_load=$(cut -d' ' -f1-3 /proc/loadavg)
sorted=$(printf '%s\n' "${results[@]}" | sort -g)
median=$(awk '{a[NR]=$1} END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }' <<<"$sorted")
worst=$(tail -1 <<<"$sorted")
{
  echo "$(date -u +%FT%TZ), $(nproc) cores, dotnet $(dotnet --version); load average $start_load -> $end_load"
  echo "SIGKILL of a primary -> first acknowledged write to one of its keys, $ROUNDS rounds, $WRITERS writers of load:"
  echo "rounds (ms): ${results[*]}"
  echo "median ${median} ms, worst ${worst} ms"
} | tee "$WORK/result.txt"
