#!/usr/bin/env bash
# Cross-node MSET/MGET through freezes and kills of real nodes, checked from outside (docs/benchmarks.md, "Transactions
# through SIGSTOP and SIGKILL").
#
#   Three fastdht-node processes on loopback (--data-dir, --fsync always, --lock-strategy STRATEGY); one writer per group
#   of three keys owned by three different nodes sends MSET of the group (one value: its next sequence number) to a
#   random node, three readers send MGET of a random group to a random node. Every round strikes one random node:
#   SIGSTOP for 2-9 s then SIGCONT (PeerTimeout, 5 s, closes the links of the longer freezes), or SIGKILL then a
#   restart on its data directory (alternating). Checked: no MGET sees a group torn (values of two MSETs), no read
#   returns less than an MSET acknowledged before it was sent (also a final read at every node), and per round how
#   long after the node served again until every group took an MSET sent after that (locks left behind by the fault
#   would show as TxnLockLease, 30 s). Exits 1 on a violation.
#
# Usage: bash benchmarks/txn-freeze-campaign.sh [DURATION_SECONDS (120)]
# Env: STRATEGIES ("wait-die detect"), PORT_BASE (17400; nodes use PORT_BASE+1..3 and +11..13 for RESP),
#      TXN_GROUPS (6), SEED (1), SKIP_BUILD (0), WORK (a fresh /tmp directory), NODE_DLL (another build of the node:
#      then SKIP_BUILD=1)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${1:-120}
[[ $DURATION =~ ^[0-9]+$ && $DURATION -gt 0 ]] || { echo "usage: $0 [DURATION_SECONDS]" >&2; exit 2; }
STRATEGIES=${STRATEGIES:-wait-die detect}
PORT_BASE=${PORT_BASE:-17400}
WORK=${WORK:-$(mktemp -d /tmp/txn-freeze.XXXXXX)}
source "$ROOT/benchmarks/lib.sh"
for tool in dotnet python3; do command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }; done
mkdir -p "$WORK"
NODE_DLL=${NODE_DLL:-"$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll"}
export FASTDHT_NODE_CLUSTERSECRET="${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}"
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log "building fastdht-node (Release)"
  build_release tools/fastdht-node/fastdht-node.csproj
fi
rc=0
for strategy in $STRATEGIES; do
  log "strategy $strategy: $DURATION s of rounds (work directory $WORK/$strategy)"
  rm -rf "${WORK:?}/$strategy"; mkdir -p "$WORK/$strategy"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 "$ROOT/benchmarks/txn-freeze-campaign.py" --node-dll "$NODE_DLL" --work "$WORK/$strategy" \
    --port-base "$PORT_BASE" --strategy "$strategy" --duration "$DURATION" --groups "${TXN_GROUPS:-6}" --seed "${SEED:-1}" || rc=1
  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
done
exit "$rc"
