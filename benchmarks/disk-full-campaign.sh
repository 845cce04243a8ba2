#!/usr/bin/env bash
# Issue 10's disk-full item from outside (docs/known-issues.md, docs/running.md "Disk full or I/O error"): one real
# fastdht-node with RESP on a tiny tmpfs (SIZE) as its data directory, WRITERS python clients each SETting keys of its
# own (c<w>:<k>, KEYS keys each, the value "<w>:<seq>:" and padding) and recording every acknowledged one, plus
# redis-benchmark SET load (-P 16, a small key space). Each of ROUNDS rounds: after a random delay the free space is
# filled with a filler file; the node must then answer writes -MISCONF and keep serving reads; after a random time
# full, either the node is killed with SIGKILL while the disk is full, or the filler is deleted, writes must resume
# (INFO aof_last_write_status:ok) and the node is killed at a random moment after. The node restarts on the same
# folder and every key must hold at least its last acknowledged sequence (and at most the last one sent).
# Prints per round what the writers got (OK, MISCONF, connections closed without an answer, other errors) and what
# the check found; exits non-zero on a lost acknowledged write.
# Needs root (mount), redis-cli, redis-benchmark, python3.
# Env: DIR (the node build: tools/fastdht-node/bin/Release/net10.0) FSYNC (always) ROUNDS (10) SIZE (16m: the tmpfs)
# SEGMENT (256k: --log-segment-size) SNAPSHOT (1m: --snapshot-log-size) WRITERS (4) KEYS (200) PORT_BASE (41300)
# BENCH (redis-benchmark's load: "-c 4 -P 4"). On a disk too small for the log the node keeps between snapshots (a
# 2m tmpfs with -c 8 -P 16 at 128k segments), the log fills it by itself and writes stay refused (docs/known-issues.md).
# Usage: sudo FSYNC=everysec ROUNDS=20 bash benchmarks/disk-full-campaign.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${DIR:-$ROOT/tools/fastdht-node/bin/Release/net10.0}; FSYNC=${FSYNC:-always}; ROUNDS=${ROUNDS:-10}
SIZE=${SIZE:-16m}; SEGMENT=${SEGMENT:-256k}; SNAPSHOT=${SNAPSHOT:-1m}; WRITERS=${WRITERS:-4}; KEYS=${KEYS:-200}
BENCH=${BENCH:-"-c 4 -P 4"}
PORT_BASE=${PORT_BASE:-41300}; NATIVE=$((PORT_BASE + 1)); RESP=$((PORT_BASE + 2))
WORK=$(mktemp -d /tmp/disk-full-campaign.XXXXXX)
MNT=$WORK/disk
NODE=; BPID=; WPIDS=()
cleanup() {
  for p in $NODE $BPID "${WPIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  umount -l "$MNT" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$MNT"
mount -t tmpfs -o size="$SIZE" tmpfs "$MNT"
DATA=$MNT/node

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*"; }
rand_ms() { python3 -c "import random; print(random.randint($1, $2) / 1000)"; }

start_node() {
  "$DIR/fastdht-node" --members "0=127.0.0.1:$NATIVE" --resp "127.0.0.1:$RESP" --data-dir "$DATA" --fsync "$FSYNC" \
    --log-segment-size "$SEGMENT" --snapshot-log-size "$SNAPSHOT" >> "$WORK/node.log" 2>&1 &
  NODE=$!
  local i
  for i in $(seq 1 200); do
    redis-cli -p "$RESP" ping 2>/dev/null | grep -q PONG && return 0
    kill -0 "$NODE" 2>/dev/null || { tail -20 "$WORK/node.log"; exit 1; }
    sleep 0.1
  done
  echo "the node did not answer PING within 20 s"; tail -20 "$WORK/node.log"; exit 1
}

status() { redis-cli -p "$RESP" info persistence 2>/dev/null | tr -d '\r' | sed -n 's/^aof_last_write_status://p'; }

wait_status() { # ok|err, within 20 s
  local i
  for i in $(seq 1 200); do [[ $(status) == "$1" ]] && return 0; sleep 0.1; done
  return 1
}

cat > "$WORK/writer.py" <<'PY'
# One writer: SETs c<w>:<seq % keys> = "<w>:<seq>:pad" in a loop until the stop file exists; reconnects when the node
# is gone; at the end merges what it sent and what was acknowledged into state-<w>.json.
import json, os, socket, sys, time
w, port, keys, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
path = os.path.join(work, "state-%d.json" % w)
state = json.load(open(path)) if os.path.exists(path) else {"seq": 0, "acked": {}, "sent": {}}
seq = state["seq"]; acked = state["acked"]; sent = state["sent"]
counts = {"ok": 0, "misconf": 0, "closed": 0, "killed": 0, "other": 0}
killed = os.path.join(work, "killed")
others = []
stop = os.path.join(work, "stop")
sock = None; f = None
deadline = time.time() + 600
while not os.path.exists(stop) and time.time() < deadline:
    if sock is None:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5); sock.settimeout(30); f = sock.makefile("rb")
        except OSError:
            sock = None; time.sleep(0.05); continue
    seq += 1
    key = "c%d:%d" % (w, seq % keys)
    value = ("%d:%d:" % (w, seq)).ljust(100, "x")
    try:
        sock.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key.encode(), len(value), value.encode()))
        sent[key] = seq
        line = f.readline()
    except OSError:
        line = b""
    if line == b"+OK\r\n":
        acked[key] = seq; counts["ok"] += 1
    elif line.startswith(b"-MISCONF"):
        counts["misconf"] += 1; time.sleep(0.001)
    elif line == b"":
        # Closed without an answer: by the node (outcome unknown) or by the SIGKILL (the marker is made just before it).
        counts["killed" if os.path.exists(killed) else "closed"] += 1
        try: sock.close()
        except OSError: pass
        sock = None
    else:
        counts["other"] += 1
        if len(others) < 5: others.append(line.decode(errors="replace").strip())
state["seq"] = seq
json.dump(state, open(path, "w"))
print("writer %d: ok %d misconf %d closed-without-answer %d (by the kill %d) other %d %s" % (w, counts["ok"], counts["misconf"], counts["closed"], counts["killed"], counts["other"], others))
PY

cat > "$WORK/check.py" <<'PY'
# Every key a writer got +OK for must hold at least that sequence, and never more than the last one sent.
import json, os, socket, sys
port, work, writers = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
import time
sock = socket.create_connection(("127.0.0.1", port), timeout=30); f = sock.makefile("rb")
# A node that answers PING may still be loading its log (GET answers -LOADING): wait until a GET is answered.
for _ in range(600):
    sock.sendall(b"*2\r\n$3\r\nGET\r\n$5\r\nprobe\r\n")
    head = f.readline()
    if head.startswith(b"$"):
        if head != b"$-1\r\n": f.read(int(head[1:]) + 2)
        break
    time.sleep(0.1)
lost = 0; checked = 0; newer = 0; bad = []
for w in range(writers):
    path = os.path.join(work, "state-%d.json" % w)
    if not os.path.exists(path): continue
    state = json.load(open(path))
    keys = sorted(state["sent"])
    sock.sendall(b"".join(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k.encode()) for k in keys))
    for k in keys:
        head = f.readline()
        stored = None
        if head.startswith(b"-"):
            bad.append("%s answered %s" % (k, head.decode(errors="replace").strip())); lost += 1; continue
        if head.startswith(b"$") and head != b"$-1\r\n":
            stored = int(f.read(int(head[1:]) + 2).split(b":")[1])
        acked = state["acked"].get(k)
        checked += 1
        if acked is not None and (stored is None or stored < acked):
            lost += 1
            if len(bad) < 5: bad.append("%s acked %d stored %s" % (k, acked, stored))
        if stored is not None and stored > state["sent"][k]:
            bad.append("%s stored %d never sent" % (k, stored)); lost += 1
        if stored is not None and (acked is None or stored > acked):
            newer += 1
print("check: %d keys, %d acknowledged writes lost, %d keys newer than their last acknowledgement (answered MISCONF? no: outcome unknown) %s" % (checked, lost, newer, bad))
sys.exit(1 if lost else 0)
PY

log "fastdht-node $FSYNC on a $SIZE tmpfs, segments $SEGMENT, snapshots every $SNAPSHOT; $WRITERS writers x $KEYS keys, redis-benchmark $BENCH; load average $(cut -d' ' -f1-3 /proc/loadavg)"
failures=0
for round in $(seq 1 "$ROUNDS"); do
  start_node
  rm -f "$WORK/stop" "$WORK/killed"
  WPIDS=()
  for w in $(seq 0 $((WRITERS - 1))); do
    python3 "$WORK/writer.py" "$w" "$RESP" "$KEYS" "$WORK" >> "$WORK/round.log" 2>&1 &
    WPIDS+=($!)
  done
  # shellcheck disable=SC2086
  timeout 120 redis-benchmark -p "$RESP" -t set -r 1000 -d 100 $BENCH -n 100000000 -q > /dev/null 2>&1 &
  BPID=$!
  sleep "$(rand_ms 300 1500)"
  # Fill: one file, written until the tmpfs refuses a byte more.
  dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null || true
  dd if=/dev/zero of="$MNT/filler" bs=1 oflag=append conv=notrunc 2>/dev/null || true
  full="refused"
  wait_status err || full="NOT REFUSED within 20 s"
  # Reads go on while writes are refused.
  read_reply=$(redis-cli -p "$RESP" dbsize 2>&1 | head -c 20)
  misconf=$(redis-cli -p "$RESP" set probe 1 2>&1 | head -c 24)
  sleep "$(rand_ms 200 1500)"
  if (( RANDOM % 2 )); then
    how="killed while full"
    touch "$WORK/killed"; kill -9 "$NODE"
  else
    rm -f "$MNT/filler"
    if wait_status ok; then how="freed, writes resumed, then killed"; else how="freed, writes did NOT resume within 20 s, killed"; failures=$((failures + 1)); fi
    sleep "$(rand_ms 0 1500)"
    touch "$WORK/killed"; kill -9 "$NODE"
  fi
  wait "$NODE" 2>/dev/null || true
  kill -9 "$BPID" 2>/dev/null || true; wait "$BPID" 2>/dev/null || true
  used=$(du -sk "$DATA" | cut -f1)
  touch "$WORK/stop"
  for p in "${WPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -f "$MNT/filler"
  log "round $round: disk full -> $full (SET while full: '$misconf...', DBSIZE while full: $read_reply); $how; data directory ${used} KiB"
  sed 's/^/    /' "$WORK/round.log"; : > "$WORK/round.log"
  start_node
  if ! python3 "$WORK/check.py" "$RESP" "$WORK" "$WRITERS" | sed 's/^/    /'; then failures=$((failures + 1)); fi
  [[ $full == refused ]] || failures=$((failures + 1))
  kill -TERM "$NODE"; wait "$NODE" 2>/dev/null || true
done
log "done: $ROUNDS rounds, $failures failures; load average $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E "cannot write its log|writes its log again|could not write a snapshot" "$WORK/node.log" | sed 's/^/    node: /' | sort | uniq -c | sort -rn | head -8
exit $((failures > 0))
