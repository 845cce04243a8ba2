#!/usr/bin/env bash
# Collection writes (change records) through SIGKILL of a real node, checked from outside (docs/benchmarks.md,
# "Collection writes through SIGKILL").
#
#   One fastdht-node process on loopback (--data-dir, --fsync always, 1 MiB log segments, a snapshot every 4 MiB of log,
#   so the rounds cross segment rotations and background snapshots); WRITERS writers per command, each on a key of its
#   own, one request at a time: RPUSH, SADD, HSET, APPEND and SETBIT, each write adding a distinct element, member,
#   field, token or bit. Every round SIGKILLs the node after 1-3 s of writes, restarts it on its data directory, and
#   reads every key whole. Checked: every acknowledged element/member/field/token/bit present exactly once, nothing
#   present that was never sent, lists and appended strings in the order sent, and a write whose reply the kill lost,
#   once seen present, present in every later round. Exits 1 on a violation.
#
# Usage: bash benchmarks/collections-kill-campaign.sh [DURATION_SECONDS (120)]
# Env: PORT_BASE (17500; the node uses PORT_BASE+1 native and +11 RESP), WRITERS (2), SEED (1), SKIP_BUILD (0),
#      WORK (a fresh /tmp directory), NODE_DLL (another build of the node: then SKIP_BUILD=1)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${1:-120}
[[ $DURATION =~ ^[0-9]+$ && $DURATION -gt 0 ]] || { echo "usage: $0 [DURATION_SECONDS]" >&2; exit 2; }
PORT_BASE=${PORT_BASE:-17500}
WORK=${WORK:-$(mktemp -d /tmp/collections-kill.XXXXXX)}
source "$ROOT/benchmarks/lib.sh"
for tool in dotnet python3; do command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }; done
mkdir -p "$WORK"
NODE_DLL=${NODE_DLL:-"$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll"}
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log "building fastdht-node (Release)"
  build_release tools/fastdht-node/fastdht-node.csproj
fi
rm -rf "${WORK:?}/data"
log "$DURATION s of rounds (work directory $WORK)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
python3 "$ROOT/benchmarks/collections-kill-campaign.py" --node-dll "$NODE_DLL" --work "$WORK" --port-base "$PORT_BASE" \
  --duration "$DURATION" --writers "${WRITERS:-2}" --seed "${SEED:-1}" || rc=1
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$rc"
