#!/usr/bin/env bash
# Time to move 1 M keys (16-byte keys, 16-byte values) between two nodes (docs/benchmarks.md, "Slot moves").
#
#   Two fastdht-node processes (one cluster, no data directory, --slot-move-rate 0: no throttle, and the default
#   16 MiB/s for comparison) on loopback; KEYS keys written through RESP with redis-cli --pipe (each node forwards
#   what it does not own); then `fastdht cluster move-slots 0-8191 1` moves node 0's half (about KEYS/2 keys) to
#   node 1 and prints the keys copied, the time and how long writes were paused. The shell reads every 1000th key
#   back afterwards.
#
# Usage: benchmarks/slot-move-1m.sh [KEYS] [RATE]   (KEYS default 2000000: node 0 holds about 1 M; RATE bytes/s, 0 = none)
set -euo pipefail
KEYS=${1:-2000000}
RATE=${2:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/elastic-slotmove.XXXXXX)
PORT_BASE=${PORT_BASE:-27400}
NODE_DLL="$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll"
SHELL_DLL="$ROOT/tools/fastdht/bin/Release/net10.0/fastdht.dll"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
cleanup() { for p in ${PIDS:-}; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
[ -f "$NODE_DLL" ] && [ -f "$SHELL_DLL" ] || { echo "build first: dotnet build -c Release FastDht.sln" >&2; exit 1; }

openssl rand -base64 32 > "$WORK/secret"; chmod 600 "$WORK/secret"
M="0=127.0.0.1:$PORT_BASE,1=127.0.0.1:$((PORT_BASE + 1))"
PIDS=""
for id in 0 1; do
  dotnet "$NODE_DLL" --members "$M" --node-id "$id" --cluster-secret-file "$WORK/secret" --resp "127.0.0.1:$((PORT_BASE + 10 + id))" \
    --slot-move-rate "$RATE" --log-level warning > "$WORK/node$id.log" 2>&1 &
  PIDS="$PIDS $!"
done
for id in 0 1; do
  for _ in $(seq 100); do redis-cli -p $((PORT_BASE + 10 + id)) ping >/dev/null 2>&1 && break; sleep 0.2; done
done
sleep 1
log "writing $KEYS keys of 16 B with 16-byte values"
python3 - "$KEYS" > "$WORK/load.resp" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout
for i in range(n):
    k = b"k%015d" % i          # 16 bytes
    v = b"v%015d" % i          # 16 bytes
    out.write("*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$16\r\n%s\r\n" % (k.decode(), v.decode()))
PY
redis-cli -p $((PORT_BASE + 10)) --pipe < "$WORK/load.resp" | tail -1 >&2
S=(dotnet "$SHELL_DLL" --cluster fastdht --node "127.0.0.1:$PORT_BASE" --timeout 60s)
"${S[@]}" cluster >&2
log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
log "moving node 0's slots (0-8191) to node 1 at --slot-move-rate $RATE"
START=$(date +%s.%N)
"${S[@]}" cluster move-slots 0-8191 1
END=$(date +%s.%N)
log "wall time of the shell command: $(echo "$END - $START" | bc) s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"${S[@]}" cluster >&2
missing=0
for i in $(seq 0 1000 $((KEYS - 1))); do
  k=$(printf "k%015d" "$i"); want=$(printf "v%015d" "$i")
  got=$(redis-cli -c -p $((PORT_BASE + 11)) get "$k")
  [ "$got" = "$want" ] || missing=$((missing + 1))
done
log "read back every 1000th key: $missing missing or wrong"
