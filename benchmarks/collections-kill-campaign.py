#!/usr/bin/env python3
"""Collection writes logged as change records, through SIGKILL of a real node (called by collections-kill-campaign.sh).

One fastdht-node process (--data-dir, --fsync always, small log segments and snapshots, so rounds cross segment
rotations and background snapshots). Writers, each with a key of its own, one request at a time:
  RPUSH list e<i>, SADD set m<i>, HSET hash f<i> v<i>, APPEND string "<i>,", SETBIT bitmap bit(i) 1
(bit(i) = i * 7919 mod 2^20: distinct bits spread over a 128 KiB bitmap). Every round lets them run for 1-3 s, kills the
node with SIGKILL at that random moment, restarts it on its data directory, waits until it answers PING, pauses the
writers and reads every key whole.

Checked, every round (a write whose reply was lost with the kill is "in doubt": it may or may not be there):
  every acknowledged element, member, field (with its value), token and bit is present, exactly once;
  nothing is present that was never sent; nothing in doubt is present twice;
  list elements and APPEND tokens are in the order they were sent;
  a write in doubt once seen present stays present in every later round (it is then counted as acknowledged).
Prints one line per round and a summary; exits 1 on a violation or a node that does not come back.
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time

from campaign_resp import Conn, RespError, wait_ping

NBITS = 1 << 20


class Node:
    def __init__(self, args):
        self.args = args
        self.native = args.port_base + 1
        self.resp = args.port_base + 11
        self.data = os.path.join(args.work, "data")
        self.proc = None
        self.log = None
        self.starts = 0

    def start(self):
        os.makedirs(self.data, exist_ok=True)
        self.starts += 1
        self.log = open(os.path.join(self.args.work, "node.%d.log" % self.starts), "wb")
        self.proc = subprocess.Popen(
            ["dotnet", self.args.node_dll, "--members", "0=127.0.0.1:%d" % self.native, "--node-id", "0",
             "--resp", "127.0.0.1:%d" % self.resp, "--data-dir", self.data, "--fsync", "always",
             "--log-segment-size", str(self.args.segment_size), "--snapshot-log-size", str(self.args.snapshot_size),
             "--log-level", "warning"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ping(self, bound):
        return wait_ping(self.proc, self.resp, bound, "the node", self.args.work)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.proc.terminate()
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def bit_of(i):
    return (i * 7919) % NBITS


class Writer:
    """One key, one connection, one request at a time; what was acknowledged and what is in doubt."""

    def __init__(self, kind, index):
        self.kind = kind
        self.key = "camp:%s:%d" % (kind, index)
        self.next = 0
        self.acked = []        # sequence numbers acknowledged, in the order sent
        self.doubt = set()     # sent, reply lost (the node was killed): may or may not be applied
        self.errors = 0        # error replies (nothing applied: counted, and in doubt all the same)
        self.idle = threading.Event()

    def command(self, i):
        if self.kind == "rpush":
            return ("RPUSH", self.key, "e%d" % i)
        if self.kind == "sadd":
            return ("SADD", self.key, "m%d" % i)
        if self.kind == "hset":
            return ("HSET", self.key, "f%d" % i, "v%d" % i)
        if self.kind == "append":
            return ("APPEND", self.key, "%d," % i)
        return ("SETBIT", self.key, str(bit_of(i)), "1")

    def ok(self, reply):
        # RPUSH/APPEND: the new length; SADD/HSET: 1 added; SETBIT: the old bit, 0.
        if self.kind in ("rpush", "append"):
            return isinstance(reply, int) and reply > 0
        return reply == 1 if self.kind in ("sadd", "hset") else reply == 0


class Campaign:
    def __init__(self, args):
        self.args = args
        self.node = Node(args)
        self.writers = [Writer(k, w) for k in ("rpush", "sadd", "hset", "append", "setbit") for w in range(args.writers)]
        self.stopping = threading.Event()
        self.paused = threading.Event()
        self.violations = []

    def run_writer(self, w):
        conn = None
        while not self.stopping.is_set():
            if self.paused.is_set():
                if conn is not None:
                    conn.close()
                    conn = None
                w.idle.set()
                time.sleep(0.01)
                continue
            w.idle.clear()
            i = w.next
            try:
                if conn is None:
                    conn = Conn(self.node.resp, self.args.client_timeout)
            except OSError:
                time.sleep(0.05)  # the node is down or restarting: nothing sent
                continue
            w.next += 1
            try:
                reply = conn.call(*w.command(i))
            except (OSError, ConnectionError):
                w.doubt.add(i)
                conn.close()
                conn = None
                time.sleep(0.05)
                continue
            if w.ok(reply):
                w.acked.append(i)
            else:
                # An error reply applies nothing (-LOADING while the log replays, -MISCONF); kept in doubt all the same.
                w.errors += 1
                w.doubt.add(i)
                time.sleep(0.02)
        if conn is not None:
            conn.close()
        w.idle.set()

    def violation(self, text):
        self.violations.append(text)
        print("VIOLATION " + text, flush=True)

    def check_sequence(self, w, present, ordered):
        """`present`: the sequence numbers read back, in stored order for a list or a string."""
        seen = set()
        for i in present:
            if i in seen:
                self.violation("%s: %d present twice" % (w.key, i))
            seen.add(i)
        acked = set(w.acked)
        missing = acked - seen
        if missing:
            self.violation("%s: %d acknowledged missing, e.g. %s" % (w.key, len(missing), sorted(missing)[:5]))
        unknown = seen - acked - w.doubt
        if unknown:
            self.violation("%s: %d never sent or resolved absent, e.g. %s" % (w.key, len(unknown), sorted(unknown)[:5]))
        if ordered and any(a >= b for a, b in zip(present, present[1:])):
            self.violation("%s: out of the order sent" % w.key)
        # A write in doubt that is there now is on disk: it must stay, as an acknowledged one.
        found = w.doubt & seen
        if found:
            w.acked = sorted(acked | found)
            w.doubt -= found
        return len(found)

    @staticmethod
    def read(conn, *args):
        reply = conn.call(*args)
        if isinstance(reply, RespError):
            raise ConnectionError("%s: %s" % (args[0], reply))  # -LOADING right after a start: read again
        return reply

    def verify(self, conn):
        resolved = 0
        for w in self.writers:
            if w.kind == "rpush":
                items = self.read(conn, "LRANGE", w.key, "0", "-1") or []
                resolved += self.check_sequence(w, [int(x[1:]) for x in items], ordered=True)
            elif w.kind == "sadd":
                items = self.read(conn, "SMEMBERS", w.key) or []
                resolved += self.check_sequence(w, [int(x[1:]) for x in items], ordered=False)
            elif w.kind == "hset":
                flat = self.read(conn, "HGETALL", w.key) or []
                fields = []
                for f, v in zip(flat[0::2], flat[1::2]):
                    if v[1:] != f[1:]:
                        self.violation("%s: field %s holds %s" % (w.key, f.decode(), v.decode()))
                    fields.append(int(f[1:]))
                resolved += self.check_sequence(w, fields, ordered=False)
            elif w.kind == "append":
                value = self.read(conn, "GET", w.key) or b""
                if value and not value.endswith(b","):
                    self.violation("%s: ends in a torn token: %r" % (w.key, value[-20:]))
                tokens = [int(t) for t in value.split(b",") if t]
                resolved += self.check_sequence(w, tokens, ordered=True)
            else:
                value = self.read(conn, "GET", w.key) or b""
                bits = int.from_bytes(value, "big") if value else 0
                width = len(value) * 8
                present = []
                # Only the bits ever sent can be set; reading them one by one keeps the check linear in what was sent.
                for i in list(w.acked) + sorted(w.doubt):
                    b = bit_of(i)
                    if b < width and (bits >> (width - 1 - b)) & 1:
                        present.append(i)
                        bits &= ~(1 << (width - 1 - b))
                if bits:
                    self.violation("%s: %d bits set that were never sent" % (w.key, bin(bits).count("1")))
                resolved += self.check_sequence(w, present, ordered=False)
        return resolved

    def pause_and_verify(self):
        self.paused.set()
        end = time.time() + self.args.client_timeout + 10
        for w in self.writers:
            if not w.idle.wait(max(0.1, end - time.time())):
                raise SystemExit("writer %s did not pause" % w.key)
        conn = None
        for attempt in range(100):
            try:
                conn = Conn(self.node.resp, self.args.client_timeout)
                resolved = self.verify(conn)
                conn.close()
                break
            except (OSError, ConnectionError):
                if conn is not None:
                    conn.close()
                time.sleep(0.1)
        else:
            raise SystemExit("could not read the keys back (log in %s)" % self.args.work)
        self.paused.clear()
        return resolved

    def run(self):
        args = self.args
        rng = random.Random(args.seed)
        self.node.start()
        self.node.wait_ping(60)
        threads = [threading.Thread(target=self.run_writer, args=(w,), daemon=True) for w in self.writers]
        for t in threads:
            t.start()
        rounds = 0
        longest = 0.0
        campaign_end = time.time() + args.duration
        while time.time() < campaign_end and rounds < args.max_rounds and not self.violations:
            time.sleep(rng.uniform(1.0, 3.0))
            before = sum(len(w.acked) for w in self.writers)
            self.node.kill()
            killed = time.time()
            self.node.start()
            up = self.node.wait_ping(120)
            longest = max(longest, up - killed)
            resolved = self.pause_and_verify()
            rounds += 1
            print("round %d: SIGKILL after %d acknowledged writes in all, restarted and answering PING in %.2f s; "
                  "in doubt now %d (%d resolved present this round); violations %d"
                  % (rounds, before, up - killed, sum(len(w.doubt) for w in self.writers), resolved, len(self.violations)),
                  flush=True)
        self.stopping.set()
        for t in threads:
            t.join(args.client_timeout + 5)
        self.paused.set()
        if not self.violations:
            # The last round's writes too: one more kill and check with the writers stopped.
            self.node.kill()
            self.node.start()
            self.node.wait_ping(120)
            for attempt in range(100):
                conn = Conn(self.node.resp, args.client_timeout)
                try:
                    self.verify(conn)
                    break
                except (OSError, ConnectionError):
                    time.sleep(0.1)
                finally:
                    conn.close()
        self.node.stop()
        per_kind = {}
        for w in self.writers:
            a, d, e = per_kind.get(w.kind, (0, 0, 0))
            per_kind[w.kind] = (a + len(w.acked), d + len(w.doubt), e + w.errors)
        print("rounds %d, longest kill-to-PING %.2f s; acknowledged (in doubt at the end, error replies): %s; violations %d"
              % (rounds, longest, ", ".join("%s %d (%d, %d)" % (k, a, d, e) for k, (a, d, e) in per_kind.items()),
                 len(self.violations)), flush=True)
        return 0 if not self.violations else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--node-dll", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--port-base", type=int, required=True)
    p.add_argument("--duration", type=int, default=120)
    p.add_argument("--max-rounds", type=int, default=1000)
    p.add_argument("--writers", type=int, default=2, help="writers per command kind")
    p.add_argument("--segment-size", type=int, default=1 << 20)
    p.add_argument("--snapshot-size", type=int, default=4 << 20)
    p.add_argument("--client-timeout", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    campaign = Campaign(args)
    try:
        sys.exit(campaign.run())
    finally:
        campaign.node.stop()


if __name__ == "__main__":
    main()
