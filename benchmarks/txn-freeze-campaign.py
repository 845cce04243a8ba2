#!/usr/bin/env python3
"""Cross-node MSET/MGET under freezes and kills, checked from outside (called by txn-freeze-campaign.sh).

Starts three fastdht-node processes (--data-dir, --fsync always, the given --lock-strategy) and keeps, per group of
three keys owned by three different nodes, one writer sending MSET of the three keys with one value (the group's next
sequence number) to a random node, and readers sending MGET of a random group to a random node. Meanwhile each round
strikes one node: SIGSTOP for 2-9 s (the default PeerTimeout, 5 s, closes the links of the longer ones) then SIGCONT, or SIGKILL then a restart on the same data directory (alternating).

Checked, every reply:
  torn:   an MGET whose three values are not one MSET's (a transaction seen in part);
  lost:   an MGET, or the final read at every node, that returns an older sequence than an MSET acknowledged before the
          read was sent (an acknowledged write lost or not visible);
  unwritable after resume: for each round, from the moment the struck node serves again (SIGCONT sent, or the restarted
          node answers PING) until every group has an MSET sent after that moment acknowledged. Locks left behind by the
          fault show here (TxnLockLease, 30 s by default).
Prints one line per round and a summary; exits 1 on a torn read, a lost write or a round that never recovered.
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


class Node:
    def __init__(self, args, node_id):
        self.args = args
        self.id = node_id
        self.native = args.port_base + 1 + node_id
        self.resp = args.port_base + 11 + node_id
        self.data = os.path.join(args.work, "data-%d" % node_id)
        self.proc = None
        self.log = None
        self.starts = 0

    def start(self):
        members = ",".join("%d=127.0.0.1:%d" % (i, self.args.port_base + 1 + i) for i in range(3))
        os.makedirs(self.data, exist_ok=True)
        self.starts += 1
        self.log = open(os.path.join(self.args.work, "node-%d.%d.log" % (self.id, self.starts)), "wb")
        self.proc = subprocess.Popen(
            ["dotnet", self.args.node_dll, "--members", members, "--node-id", str(self.id),
             "--resp", "127.0.0.1:%d" % self.resp, "--data-dir", self.data, "--fsync", "always",
             "--lock-strategy", self.args.strategy, "--log-level", "warning"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ping(self, bound):
        return wait_ping(self.proc, self.resp, bound, "node %d" % self.id, self.args.work)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class Group:
    def __init__(self, index, keys):
        self.index = index
        self.keys = keys
        self.lock = threading.Lock()
        self.sent = 0          # highest sequence sent (it may be applied, acknowledged or not)
        self.acked = 0         # highest sequence acknowledged OK
        self.acks = []         # (send time, ack time) of every acknowledged MSET, for the unwritable measure


class Campaign:
    def __init__(self, args):
        self.args = args
        self.nodes = [Node(args, i) for i in range(3)]
        self.groups = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.torn = []
        self.lost = []
        self.mgets = 0
        self.msets = 0
        self.mset_errors = {}
        self.mget_errors = 0
        self.samples = {}
        self.refused = []      # (time, kind) of every MSET refusal, to say what a round's recovery waited for
        self.rng = random.Random(args.seed)

    def note_error(self, table, text):
        words = text.split(" ")
        # Transaction ids differ per error: keep the kind of refusal, and one whole message of each kind.
        key = " ".join(w for w in words[:4] if not w[:1].isdigit())
        with self.lock:
            table[key] = table.get(key, 0) + 1
            self.samples.setdefault(key, text)
            if table is self.mset_errors:
                self.refused.append((time.time(), key))

    def pick_groups(self):
        c = Conn(self.nodes[0].resp, 5)
        slots = c.call("CLUSTER", "SLOTS")
        owner = {}
        for entry in slots:
            lo, hi, master = entry[0], entry[1], entry[2]
            owner[(lo, hi)] = master[1]
        ports = [n.resp for n in self.nodes]

        def owner_of(key):
            slot = c.call("CLUSTER", "KEYSLOT", key)
            for (lo, hi), port in owner.items():
                if lo <= slot <= hi:
                    return port
            raise SystemExit("no owner for slot %d" % slot)

        candidates = {p: [] for p in ports}
        i = 0
        while min(len(v) for v in candidates.values()) < self.args.groups:
            key = "txnfreeze:%d" % i
            candidates[owner_of(key)].append(key)
            i += 1
        c.close()
        for g in range(self.args.groups):
            self.groups.append(Group(g, [candidates[p][g] for p in ports]))

    def writer(self, group):
        rng = random.Random(self.args.seed * 1000 + group.index)
        conn, port = None, None
        while not self.stopping.is_set():
            with group.lock:
                group.sent += 1
                seq = group.sent
            value = "%d:%d" % (seq, group.index)
            sent_at = time.time()
            try:
                if conn is None:
                    port = rng.choice(self.nodes).resp
                    conn = Conn(port, self.args.client_timeout)
                args = ["MSET"]
                for k in group.keys:
                    args += [k, value]
                reply = conn.call(*args)
            except (OSError, ConnectionError) as e:
                if conn is not None:
                    conn.close()
                conn = None
                self.note_error(self.mset_errors, "connection: %s" % type(e).__name__)
                time.sleep(0.05)
                continue
            if reply == "OK":
                with group.lock:
                    group.acked = max(group.acked, seq)
                    group.acks.append((sent_at, time.time()))
                with self.lock:
                    self.msets += 1
            else:
                self.note_error(self.mset_errors, str(reply))
                # A refused MSET: another node may serve this group's coordinator better meanwhile.
                conn.close()
                conn = None
                time.sleep(0.02)
        if conn is not None:
            conn.close()

    def check_read(self, group, values, acked_before, where):
        seqs = []
        for v in values:
            seqs.append(None if v is None else int(v.split(b":")[0]))
        if len(set(seqs)) != 1:
            with self.lock:
                self.torn.append((group.index, where, [None if v is None else v.decode() for v in values]))
            return
        seq = seqs[0] or 0
        if seq < acked_before:
            with self.lock:
                self.lost.append((group.index, where, seq, acked_before))

    def reader(self, index):
        rng = random.Random(self.args.seed * 7919 + index)
        conn, port = None, None
        while not self.stopping.is_set():
            group = rng.choice(self.groups)
            with group.lock:
                acked_before = group.acked
            try:
                if conn is None:
                    port = rng.choice(self.nodes).resp
                    conn = Conn(port, self.args.client_timeout)
                reply = conn.call("MGET", *group.keys)
            except (OSError, ConnectionError):
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.05)
                continue
            if isinstance(reply, list):
                self.check_read(group, reply, acked_before, "MGET at :%d" % port)
                with self.lock:
                    self.mgets += 1
            else:
                with self.lock:
                    self.mget_errors += 1
                conn.close()
                conn = None
                time.sleep(0.02)
        if conn is not None:
            conn.close()

    def recovered(self, since, bound):
        """Seconds from `since` until every group has an MSET sent at or after it acknowledged; None past the bound."""
        end = since + bound
        while time.time() < end:
            worst = 0.0
            for g in self.groups:
                with g.lock:
                    done = [ack for sent, ack in g.acks if sent >= since]
                if not done:
                    worst = None
                    break
                worst = max(worst, min(done) - since)
            if worst is not None:
                return worst
            time.sleep(0.1)
        return None

    def run(self):
        args = self.args
        for n in self.nodes:
            n.start()
        for n in self.nodes:
            n.wait_ping(60)
        # Every node lists all three once the mesh has formed.
        end = time.time() + 60
        while True:
            ok = 0
            for n in self.nodes:
                try:
                    c = Conn(n.resp, 2)
                    slots = c.call("CLUSTER", "SLOTS")
                    c.close()
                    if isinstance(slots, list) and len({e[2][1] for e in slots}) == 3:
                        ok += 1
                except (OSError, ConnectionError):
                    pass
            if ok == 3:
                break
            if time.time() > end:
                raise SystemExit("the mesh did not form within 60 s")
            time.sleep(0.2)
        self.pick_groups()
        threads = [threading.Thread(target=self.writer, args=(g,), daemon=True) for g in self.groups]
        threads += [threading.Thread(target=self.reader, args=(i,), daemon=True) for i in range(args.readers)]
        for t in threads:
            t.start()
        first = self.recovered(time.time() - 0.001, 60)
        print("start: every group written within %.2f s" % (first if first is not None else -1), flush=True)
        worst = {"stop": (0.0, None), "kill": (0.0, None)}
        rounds = 0
        failed_rounds = 0
        campaign_end = time.time() + args.duration
        while time.time() < campaign_end and rounds < args.max_rounds:
            node = self.rng.choice(self.nodes)
            kind = "stop" if rounds % 2 == 0 else "kill"
            if kind == "stop":
                pause = self.rng.uniform(2, 9)
                node.proc.send_signal(signal.SIGSTOP)
                time.sleep(pause)
                node.proc.send_signal(signal.SIGCONT)
                resumed = time.time()
                what = "SIGSTOP node %d for %.1f s" % (node.id, pause)
            else:
                node.proc.send_signal(signal.SIGKILL)
                node.proc.wait(10)
                node.log.close()
                time.sleep(self.rng.uniform(0.5, 2))
                node.start()
                resumed = node.wait_ping(60)
                what = "SIGKILL node %d, restarted" % node.id
            rounds += 1
            took = self.recovered(resumed, args.recover_bound)
            with self.lock:
                torn, lost = len(self.torn), len(self.lost)
                kinds = {}
                for at, refusal in self.refused:
                    if resumed <= at <= resumed + (took if took is not None else args.recover_bound):
                        kinds[refusal] = kinds.get(refusal, 0) + 1
                self.refused = [r for r in self.refused if r[0] > resumed]
            after = ", ".join("%s x%d" % kv for kv in sorted(kinds.items(), key=lambda kv: -kv[1])[:3]) or "none"
            if took is None:
                failed_rounds += 1
                print("round %d: %s: NOT every group writable within %d s; torn %d lost %d; refusals meanwhile: %s" % (rounds, what, args.recover_bound, torn, lost, after), flush=True)
            else:
                if took > worst[kind][0]:
                    worst[kind] = (took, rounds)
                print("round %d: %s: every group writable %.2f s after it served again; torn %d lost %d; refusals meanwhile: %s" % (rounds, what, took, torn, lost, after), flush=True)
            if torn or lost:
                break
            time.sleep(args.settle)
        self.stopping.set()
        for t in threads:
            t.join(args.client_timeout + 5)
        # The final read of every group at every node: nothing acknowledged may be missing.
        for n in self.nodes:
            c = Conn(n.resp, args.client_timeout)
            for g in self.groups:
                for attempt in range(50):
                    reply = c.call("MGET", *g.keys)
                    if isinstance(reply, list):
                        self.check_read(g, reply, g.acked, "final MGET at :%d" % n.resp)
                        break
                    time.sleep(0.1)
                else:
                    print("final MGET of group %d at :%d kept failing: %s" % (g.index, n.resp, reply))
                    failed_rounds += 1
            c.close()
        print("strategy %s: rounds %d, MSET acknowledged %d, MGET checked %d (+%d refused), torn %d, lost acknowledged %d, "
              "longest unwritable after SIGCONT %.2f s (round %s), after a restart answered PING %.2f s (round %s), "
              "rounds not recovered within %d s: %d"
              % (args.strategy, rounds, self.msets, self.mgets, self.mget_errors, len(self.torn), len(self.lost),
                 worst["stop"][0], worst["stop"][1], worst["kill"][0], worst["kill"][1], args.recover_bound, failed_rounds), flush=True)
        refusals = sorted(self.mset_errors.items(), key=lambda kv: -kv[1])
        print("MSET refusals: %s" % ", ".join("%s x%d" % (k, v) for k, v in refusals[:8]))
        for k, _ in refusals[:8]:
            print("  e.g. %s" % self.samples[k][:300])
        for t in self.torn[:10]:
            print("TORN group %d %s: %s" % t)
        for l in self.lost[:10]:
            print("LOST group %d %s: read %d, acknowledged before the read %d" % l)
        return 0 if not self.torn and not self.lost and failed_rounds == 0 else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--node-dll", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--port-base", type=int, required=True)
    p.add_argument("--strategy", default="wait-die")
    p.add_argument("--duration", type=float, default=120)
    p.add_argument("--max-rounds", type=int, default=1000)
    p.add_argument("--groups", type=int, default=6)
    p.add_argument("--readers", type=int, default=3)
    p.add_argument("--client-timeout", type=float, default=15)
    p.add_argument("--recover-bound", type=float, default=60)
    p.add_argument("--settle", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    # A TERM (a timeout around the script) still stops the nodes this script started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    c = Campaign(args)
    rc = 1
    try:
        rc = c.run()
    finally:
        c.stopping.set()
        for n in c.nodes:
            n.stop()
    sys.exit(rc)


if __name__ == "__main__":
    main()
