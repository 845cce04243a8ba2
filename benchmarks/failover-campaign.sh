#!/usr/bin/env bash
# The long fault campaign (issue 11): round after round of random faults on real hosts, each checked Jepsen-style.
#
#   Runs FailoverCampaignTests (tests/FastDht.Node.Tests/Faults): a 3-node fastdht-node cluster with --replicas 1 and
#   the default failover timings, each node in its own network namespace (root, ip and nftables needed); every round
#   strikes a random node with a random fault (SIGKILL then restart, SIGSTOP then SIGCONT, or an nftables partition
#   then heal) for 0.5-4 s while 6 writers and 6 readers work on fresh registers over every range, then waits until
#   every replica is in sync again and checks the round's history: no lost acknowledged write, no stale read. It stops
#   at the first violation (with the key's history, the nodes' logs and the random seed) or after DURATION seconds.
#
# Usage: bash benchmarks/failover-campaign.sh [DURATION_SECONDS (600)]
# Env: SKIP_BUILD (0)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${1:-600}
[[ $DURATION =~ ^[0-9]+$ && $DURATION -gt 0 ]] || { echo "usage: $0 [DURATION_SECONDS]" >&2; exit 2; }
source "$ROOT/benchmarks/lib.sh"
[[ $(id -u) == 0 ]] || { echo "the campaign builds network namespaces: run it as root" >&2; exit 1; }
for tool in ip nft; do command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install iproute2 nftables)" >&2; exit 1; }; done
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log "building the node tests (Release)"
  dotnet build -c Release "$ROOT/tests/FastDht.Node.Tests" -v quiet -nologo >/dev/null
fi
log "campaign of $DURATION s"
# The test's own hang guard is its bounded waits; the blame timeout only catches a wedged test host.
FASTDHT_FAILOVER_CAMPAIGN=$DURATION dotnet test "$ROOT/tests/FastDht.Node.Tests" -c Release --no-build \
  --filter "FullyQualifiedName~FailoverCampaignTests" --logger "console;verbosity=detailed" \
  --blame-hang-timeout "$((DURATION + 600))s"
