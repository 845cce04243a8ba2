#!/usr/bin/env bash
# docs/known-issues.md §1: do a few GETs of a very large value stall the cluster? Starts a 3-node cluster (RESP on every
# node), SETs one value of SIZE bytes with redis-cli (key foo: slot 12182, node 2's in the default table), then runs one
# writer thread per node for DURATION seconds (sequential RESP SETs of small random keys, so every writer needs every node) and,
# after 5 s, GETS concurrent `redis-cli get foo` at node AT (2: the owner; 0: through a non-owner). Prints each writer's
# OK count per second, its slowest write and its errors, each GET's size and time, and the nodes' log lines about peers
# down, late heartbeats, leases, leaders and failovers.
# Env: DIR (the FastDht build: tools/fastdht-node/bin/Release/net10.0) PORT_BASE (17741: native PORT_BASE+1..3, RESP
# PORT_BASE+11..13) SIZE (60000000) GETS (4) AT (2) DURATION (25: seconds of writes) NODE_ARGS (extra node options,
# e.g. "--replicas 1").
# Needs redis-cli and python3. Usage: GETS=10 AT=0 bash benchmarks/large-value-stall.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${DIR:-$ROOT/tools/fastdht-node/bin/Release/net10.0}; PORT_BASE=${PORT_BASE:-17741}; SIZE=${SIZE:-60000000}
GETS=${GETS:-4}; AT=${AT:-2}; DURATION=${DURATION:-25}; NODE_ARGS=${NODE_ARGS:-}
WORK=$(mktemp -d /tmp/large-value-stall.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
openssl rand -base64 32 > "$WORK/secret"; chmod 600 "$WORK/secret"
M="0=127.0.0.1:$((PORT_BASE+1)),1=127.0.0.1:$((PORT_BASE+2)),2=127.0.0.1:$((PORT_BASE+3))"
for i in 0 1 2; do
  # shellcheck disable=SC2086
  "$DIR/fastdht-node" --members "$M" --node-id $i --resp 127.0.0.1:$((PORT_BASE+11+i)) --cluster-secret-file "$WORK/secret" $NODE_ARGS > "$WORK/node$i.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 1 60); do
  up=0; for i in 0 1 2; do redis-cli -p $((PORT_BASE+11+i)) ping 2>/dev/null | grep -q PONG && up=$((up+1)); done
  [ $up = 3 ] && break; sleep 0.5
done
sleep 3
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%T) UTC; SIZE=$SIZE GETS=$GETS AT=node $AT NODE_ARGS=$NODE_ARGS"
head -c "$SIZE" /dev/zero | tr '\0' z > "$WORK/value"
s=$(date +%s.%N); timeout 60 redis-cli -p $((PORT_BASE+13)) -x set foo < "$WORK/value" || true
echo "SET of $SIZE bytes at the owner: $(echo "$(date +%s.%N) - $s" | bc) s"
cat > "$WORK/writer.py" <<'PY'
import socket, sys, time, threading, random
secs = float(sys.argv[1]); ports = [int(p) for p in sys.argv[2:]]; res = {}
def run(port):
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(30); f = s.makefile("rb")
    ok = {}; errs = {}; worst = 0.0; worst_at = 0.0; t0 = time.time()
    while time.time() - t0 < secs:
        k = ("w%d:%d" % (port, random.randrange(100000))).encode()
        a = time.time()
        try:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nabc\r\n" % (len(k), k)); line = f.readline()
        except Exception as e:
            line = b"-EXC " + str(e).encode()
            s = socket.create_connection(("127.0.0.1", port)); s.settimeout(30); f = s.makefile("rb")
        b = time.time()
        if b - a > worst: worst, worst_at = b - a, a - t0
        if line.startswith(b"+OK"): ok[int(a - t0)] = ok.get(int(a - t0), 0) + 1
        else: errs[line.strip()[:80]] = errs.get(line.strip()[:80], 0) + 1
    res[port] = (ok, errs, worst, worst_at)
ts = [threading.Thread(target=run, args=(p,)) for p in ports]
for t in ts: t.start()
for t in ts: t.join()
for p in ports:
    ok, errs, worst, worst_at = res[p]
    print("writer via %d: OK/s %s" % (p, ",".join(str(ok.get(i, 0)) for i in range(int(secs)))))
    print("writer via %d: slowest write %.3f s at t=%.1f s; errors %s" % (p, worst, worst_at, errs))
PY
python3 "$WORK/writer.py" "$DURATION" $((PORT_BASE+11)) $((PORT_BASE+12)) $((PORT_BASE+13)) > "$WORK/writers.txt" &
W=$!
sleep 5
G=()
for i in $(seq 1 "$GETS"); do
  ( s=$(date +%s.%N); n=$(timeout 120 redis-cli -p $((PORT_BASE+11+AT)) get foo | wc -c); echo "GET $i: $n bytes in $(echo "$(date +%s.%N) - $s" | bc) s (writers started 5 s before the GETs)" ) &
  G+=($!)
done
# Only the GETs: a bare wait (GETS=0) would wait for the nodes too, until killed, and print nothing.
[ ${#G[@]} -eq 0 ] || wait "${G[@]}" || true
wait $W || true
cat "$WORK/writers.txt"
echo "node logs (peers down, late heartbeats, leases, leaders, failovers, in-sync changes):"
grep -h -i "is down\|heartbeat\|lease\|leader is now\|silent too long\|in-sync set" "$WORK"/node*.log | grep -v "election timeout rank" | tail -30 || true
