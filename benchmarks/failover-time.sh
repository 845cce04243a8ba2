#!/usr/bin/env bash
# Failover time (issue 11): from SIGKILL of a primary to the first acknowledged write to one of its keys, under load.
#
#   Each round starts a fresh 3-node cluster on 127.0.0.1 (fastdht-node --replicas 1, default --failover-timeout and
#   --election-timeout unless FAILOVER_TIMEOUT / ELECTION_TIMEOUT say otherwise), and runs
#   `FastDht.Benchmarks failover-probe` (benchmarks/Failover/FailoverProbe.cs): it waits until every replica is in sync
#   (the nodes' /cluster), loads the cluster with WRITERS writers over every range through the smart client, writes one
#   key of the victim's range in a loop, kills the victim (SIGKILL) and times until that key's write is acknowledged
#   again. Every node is the primary of a range; even rounds kill the Raft leader (its loss adds an election before the
#   promotion), odd rounds one of the other two (the probe reads the leader from the nodes' /cluster). Prints every
#   round with the load average at its end, then the median and the worst over all rounds, over the rounds that killed
#   the leader and over the others, with the load average. With LOG_LEVEL information (or lower) a leader kill's round
#   also prints its parts from the survivors' logs, in ms after the kill: when each survivor saw no leader (its election
#   timeout ran out), when the successor was elected, held its leader lease, and logged the promotion.
#
# Env: ROUNDS (10) WRITERS (8) PORT_BASE (17600) FAILOVER_TIMEOUT (node default) ELECTION_TIMEOUT (node default)
#      SKIP_BUILD (0) WORK (a new temp dir) LOG_LEVEL (warning; information shows each node's elections, leases and
#      promotions with timestamps in $WORK/round*-node*.log, to line up with the probe's killed_at)
# Smoke test: ROUNDS=2 bash benchmarks/failover-time.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t failover-time.XXXX)}
ROUNDS=${ROUNDS:-10}; WRITERS=${WRITERS:-8}; PORT_BASE=${PORT_BASE:-17600}; SKIP_BUILD=${SKIP_BUILD:-0}
LOG_LEVEL=${LOG_LEVEL:-warning}
source "$ROOT/benchmarks/lib.sh"

breakdown() { # ROUND KILLED_AT(HH:MM:SS.mmm) VICTIM: a leader kill's parts, from the survivors' logs (ms after the kill)
  local id line=""
  for id in 0 1 2; do
    [[ $id == "$3" ]] && continue
    line+=$(awk -v k="$2" -v id="$id" '
      function ms(t,  a) { split(t, a, ":"); return (a[1] * 3600 + a[2] * 60 + a[3]) * 1000 }
      { t = ms(substr($1, 12, 12)); if (t < ms(k)) next; d = int(t - ms(k)) }
      none == "" && /the Raft leader is now none/ { none = d }
      elected == "" && $0 ~ ("Node " id ": the Raft leader is now " id "$") { elected = d }
      lease == "" && elected != "" && /holds the Raft leader.s lease: True/ { lease = d }
      promoted == "" && /was silent too long/ { promoted = d }
      END {
        printf " node %s: no leader +%s", id, none == "" ? "?" : none
        if (elected != "") printf ", elected +%s, lease +%s, promoted +%s", elected, lease == "" ? "?" : lease, promoted == "" ? "?" : promoted
        printf ";"
      }' "$WORK/round$1-node$id.log")
  done
  log "  parts (ms after the kill):$line"
}
stats() { # MS...: "median M ms, worst W ms" (none: "none")
  (($# > 0)) || { echo none; return; }
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "median %.1f ms, worst %s ms\n", m, a[NR] }'
}
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
leader_results=()
other_results=()
start_load=$(cut -d' ' -f1-3 /proc/loadavg)
for ((round = 0; round < ROUNDS; round++)); do
  node_pids=()
  for id in 0 1 2; do
    dotnet "$NODE_DLL" --members "$members" --node-id "$id" --cluster failover-time --replicas 1 \
      --http "127.0.0.1:$((PORT_BASE + 11 + id))" --log-level "$LOG_LEVEL" "${extra[@]}" \
      </dev/null >"$WORK/round$round-node$id.log" 2>&1 &
    PIDS+=($!); node_pids+=($!)
  done
  kill_what=$( ((round % 2 == 0)) && echo leader || echo other )
  pids=$(IFS=,; echo "${node_pids[*]}")
  out=$(timeout 120 dotnet "$BENCH_DLL" failover-probe --seeds "$seeds" --http "$http" --pids "$pids" --cluster failover-time \
        --kill "$kill_what" --round "$((round / 2))" --writers "$WRITERS" 2>&1) \
    || { echo "round $round failed: $out (logs in $WORK)" >&2; exit 1; }
  ms=$(sed -n 's/.*failover_ms=\([0-9.]*\).*/\1/p' <<<"$out")
  [[ -n $ms ]] || { echo "round $round: no figure in: $out" >&2; exit 1; }
  log "round $((round + 1)) of $ROUNDS (kill the $kill_what): $out load=$(cut -d' ' -f1 /proc/loadavg)"
  results+=("$ms")
  if [[ $out == *victim_led=1* ]]; then
    leader_results+=("$ms")
    [[ $LOG_LEVEL == @(information|debug|trace) ]] && breakdown "$round" "$(sed -n 's/.*killed_at=\([0-9:.]*\).*/\1/p' <<<"$out")" "$(sed -n 's/.*victim=\([0-9]*\).*/\1/p' <<<"$out")"
  else
    other_results+=("$ms")
  fi
  for p in "${node_pids[@]}"; do stop_pid "$p"; done
done
end_load=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "$(date -u +%FT%TZ), $(nproc) cores, dotnet $(dotnet --version); load average $start_load -> $end_load"
  echo "SIGKILL of a primary -> first acknowledged write to one of its keys, $ROUNDS rounds, $WRITERS writers of load:"
  echo "rounds (ms): ${results[*]}"
  echo "every kill: $(stats "${results[@]}")"
  echo "the Raft leader killed (${#leader_results[@]} rounds): $(stats "${leader_results[@]}")"
  echo "another primary killed (${#other_results[@]} rounds): $(stats "${other_results[@]}")"
} | tee "$WORK/result.txt"
