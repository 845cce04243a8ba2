#!/usr/bin/env python3
"""CLIENT TRACKING, PUBLISH, PUBSUB and sharded pub/sub side by side: the same raw RESP exchanges against redis-server and a FastDht node, byte for byte.

Usage: python3 benchmarks/tracking-vs-redis.py REDIS_PORT FASTDHT_PORT
Both on 127.0.0.1; FastDht as one node (it owns every slot, as the single redis-server does). Each scenario opens
named connections, sends commands, and reads what arrives (replies and pushes); client ids are replaced by their
connection's name so the two servers' transcripts compare. Prints each differing step and exits 1 on a difference.
Every read waits at most 5 s (an expected message that never comes prints as TIMEOUT).
"""
import socket
import sys

SCENARIOS = {
    "errors": [
        ("c", ["CLIENT", "TRACKING"]), ("c", ["CLIENT", "CACHING"]), ("c", ["CLIENT", "GETREDIR", "x"]),
        ("c", ["CLIENT", "TRACKINGINFO", "x"]), ("c", ["CLIENT", "TRACKING", "maybe"]),
        ("c", ["CLIENT", "TRACKING", "on", "redirect"]), ("c", ["CLIENT", "TRACKING", "on", "nosuch"]),
        ("c", ["CLIENT", "TRACKING", "on", "redirect", "x"]), ("c", ["CLIENT", "TRACKING", "on", "redirect", "999999999"]),
        ("c", ["CLIENT", "TRACKING", "on", "prefix", "a"]), ("c", ["CLIENT", "TRACKING", "on", "bcast", "optin"]),
        ("c", ["CLIENT", "TRACKING", "on", "optin", "optout"]),
        ("c", ["CLIENT", "TRACKING", "on", "bcast", "prefix", "a", "prefix", "ab"]),
        ("c", ["CLIENT", "CACHING", "yes"]), ("c", ["CLIENT", "GETREDIR"]), ("c", ["CLIENT", "TRACKINGINFO"]),
        ("c", ["CLIENT", "TRACKING", "on", "optin"]), ("c", ["CLIENT", "CACHING", "maybe"]),
        ("c", ["CLIENT", "CACHING", "no"]), ("c", ["CLIENT", "TRACKING", "on", "optout"]),
        ("c", ["CLIENT", "GETREDIR"]), ("c", ["CLIENT", "TRACKINGINFO"]), ("c", ["HELLO", "3"], "skip"),
        ("c", ["CLIENT", "TRACKINGINFO"]), ("c", ["RESET"]), ("c", ["CLIENT", "GETREDIR"]),
        ("c", ["COMMAND", "INFO", "client|tracking", "client|caching", "client|getredir", "client|trackinginfo"]),
    ],
    "default-resp3": [
        ("r", ["HELLO", "3"], "skip"), ("r", ["CLIENT", "TRACKING", "on"]), ("r", ["GET", "tk"]),
        ("w", ["SET", "tk", "1"]), ("r", "read"), ("r", ["GET", "tk"]), ("w", ["DEL", "tk"]), ("r", "read"),
        ("r", ["MGET", "tk", "tk2"]), ("w", ["MSET", "tk", "1", "tk2", "2"]), ("r", "read"), ("r", "read"),
        ("r", ["GET", "tk"]), ("w", ["MULTI"]), ("w", ["INCR", "tk"]), ("w", ["EXEC"]), ("r", "read"),
        ("r", ["GET", "tk"]), ("w", ["EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "tk"]), ("r", "read"),
        ("r", ["GET", "tk"]), ("r", ["SET", "tk", "self"]), ("r", "read"),
        ("r", ["GET", "tk"]), ("w", ["FLUSHALL"]), ("r", "read"), ("r", ["PING"]),
    ],
    "bcast": [
        ("r", ["HELLO", "3"], "skip"), ("r", ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bc:a", "PREFIX", "bc:b"]),
        ("w", ["SET", "bc:c", "1"]), ("w", ["SET", "bc:a1", "1"]), ("r", "read"), ("w", ["SET", "bc:b1", "1"]), ("r", "read"),
        ("r", ["CLIENT", "TRACKINGINFO"]), ("r", ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bc:ab"]),
        ("r", ["CLIENT", "TRACKING", "on"]), ("r", ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bc:d"]),
        ("r", ["CLIENT", "TRACKINGINFO"]), ("r", ["CLIENT", "TRACKING", "off"]), ("w", ["SET", "bc:a1", "2"]), ("r", ["PING"]),
    ],
    "optin-noloop": [
        ("r", ["HELLO", "3"], "skip"), ("r", ["CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP"]), ("r", ["GET", "oa"]),
        ("r", ["CLIENT", "CACHING", "yes"]), ("r", ["CLIENT", "TRACKINGINFO"]), ("r", ["GET", "ob"]),
        ("r", ["CLIENT", "TRACKINGINFO"]), ("r", ["CLIENT", "CACHING", "yes"]), ("r", ["SET", "ob", "mine"]),
        ("r", ["CLIENT", "CACHING", "yes"]), ("r", ["GET", "ob"]), ("w", ["SET", "oa", "x"]), ("w", ["SET", "ob", "x"]),
        ("r", "read"), ("r", ["PING"]),
    ],
    "optout": [
        ("r", ["HELLO", "3"], "skip"), ("r", ["CLIENT", "TRACKING", "on", "OPTOUT"]), ("r", ["CLIENT", "CACHING", "no"]),
        ("r", ["GET", "pa"]), ("r", ["GET", "pb"]), ("w", ["SET", "pa", "x"]), ("w", ["SET", "pb", "x"]), ("r", "read"),
        ("r", ["CLIENT", "TRACKINGINFO"]), ("r", ["PING"]),
    ],
    "redirect-resp2": [
        ("l", ["SUBSCRIBE", "__redis__:invalidate"]), ("r", ["CLIENT", "TRACKING", "on", "REDIRECT", "{id:l}"]),
        ("r", ["CLIENT", "GETREDIR"]), ("r", ["GET", "rk"]), ("w", ["SET", "rk", "1"]), ("l", "read"),
        ("r", ["CLIENT", "TRACKINGINFO"]), ("w", ["FLUSHALL"]), ("l", "read"),
        ("l", "close"), ("w", ["CLIENT", "LIST", "ID", "{id:l}"], "skip"), ("r", ["GET", "rk"]), ("w", ["SET", "rk", "2"]),
        ("r", ["CLIENT", "TRACKINGINFO"]), ("r", ["PING"]),
    ],
    "redirect-broken-resp3": [
        ("r", ["HELLO", "3"], "skip"), ("r", ["CLIENT", "TRACKING", "on", "REDIRECT", "{id:l}"]), ("l", "close"),
        ("w", ["PING"]), ("r", ["GET", "bk"]), ("w", ["SET", "bk", "1"]), ("r", "read"), ("r", ["CLIENT", "TRACKINGINFO"]),
    ],
    "pubsub-reports": [
        ("a", ["PUBSUB"]), ("a", ["PUBSUB", "NUMPAT", "x"]), ("a", ["PUBSUB", "NOSUCH"]), ("a", ["PUBSUB", "CHANNELS"]),
        ("a", ["PUBSUB", "NUMSUB"]), ("a", ["PUBSUB", "SHARDCHANNELS"]), ("a", ["PUBSUB", "SHARDNUMSUB"]),
        ("a", ["PUBSUB", "channels", "a", "b"]),
        ("b", ["SUBSCRIBE", "ch1"]), ("b", ["SUBSCRIBE", "ch2"]), ("b", ["PSUBSCRIBE", "p*"]),
        ("a", ["PUBSUB", "CHANNELS", "ch1"]), ("a", ["PUBSUB", "NUMSUB", "ch1", "nope"]), ("a", ["PUBSUB", "NUMPAT"]),
        ("b", ["PUNSUBSCRIBE"]), ("a", ["PUBSUB", "NUMPAT"]), ("b", ["RESET"]), ("a", ["PUBSUB", "NUMSUB", "ch1"]),
    ],
    "sharded": [
        ("c", ["SSUBSCRIBE", "s1"]), ("c", ["SSUBSCRIBE", "s1"]), ("c", ["GET", "x"]), ("c", ["SUBSCRIBE", "ch1"]),
        ("a", ["PUBSUB", "SHARDCHANNELS"]), ("a", ["PUBSUB", "SHARDNUMSUB", "s1", "s3"]),
        ("a", ["SPUBLISH", "s1", "hello"]), ("c", "read"), ("a", ["SPUBLISH", "s3", "x"]), ("a", ["SPUBLISH", "s1"]),
        ("a", ["SSUBSCRIBE"]), ("a", ["SUNSUBSCRIBE", "zz"]), ("c", ["SUNSUBSCRIBE", "s1"]), ("c", ["SUNSUBSCRIBE"]),
        ("c", ["UNSUBSCRIBE"]), ("c", ["PING"]),
        ("d", ["HELLO", "3"], "skip"), ("d", ["SSUBSCRIBE", "s9"]), ("a", ["SPUBLISH", "s9", "m"]), ("d", "read"),
        ("d", ["SPUBLISH", "s9", "self"]), ("d", "read"), ("d", ["SUNSUBSCRIBE"]), ("d", ["SUNSUBSCRIBE"]),
        ("a", ["MULTI"]), ("a", ["SPUBLISH", "s9", "x"]), ("a", ["EXEC"]), ("a", ["COMMAND", "GETKEYS", "spublish", "c", "m"]),
        ("a", ["COMMAND", "INFO", "spublish", "ssubscribe", "sunsubscribe", "pubsub|channels", "pubsub|numsub",
               "pubsub|numpat", "pubsub|shardchannels", "pubsub|shardnumsub"]),
    ],
    "publish-resp2": [
        ("s", ["SUBSCRIBE", "pc1", "pc2"]), ("s", "read"), ("s", ["PSUBSCRIBE", "pc*"]), ("w", ["PSUBSCRIBE", "pc?"]),
        ("a", ["PUBLISH", "pc1", "one"]), ("s", "read"), ("s", "read"), ("w", "read"), ("a", ["PUBLISH", "zz", "none"]),
        ("a", ["PUBLISH", "pc2", "m0"]), ("a", ["PUBLISH", "pc2", "m1"]), ("s", ["UNSUBSCRIBE", "pc2"]), ("s", "read"),
        ("s", "read"), ("s", "read"), ("s", "read"), ("a", ["PUBLISH", "pc2", "after"]), ("s", "read"), ("w", "read"),
        ("w", "read"), ("w", "read"), ("s", ["PUBLISH", "pc1", "x"]), ("a", ["PUBLISH", "pc1"]),
        ("a", ["PUBLISH", "pc1", ""]), ("s", "read"), ("s", "read"), ("w", "read"), ("s", ["PUNSUBSCRIBE"]),
        ("a", ["PUBLISH", "pcx", "gone"]), ("w", "read"), ("a", ["PUBSUB", "NUMSUB", "pc1", "pc2"]),
        ("a", ["COMMAND", "INFO", "publish", "subscribe", "psubscribe"]),
    ],
    "publish-resp3": [
        ("d", ["HELLO", "3"], "skip"), ("d", ["SUBSCRIBE", "r3"]), ("d", ["PSUBSCRIBE", "r*"]),
        ("d", ["PUBLISH", "r3", "self"]), ("d", "read"), ("d", "read"), ("a", ["PUBLISH", "r3", "two"]), ("d", "read"),
        ("d", "read"), ("d", ["GET", "k"]), ("a", ["MULTI"]), ("a", ["PUBLISH", "r3", "in exec"]), ("a", ["SET", "k", "v"]),
        ("a", ["EXEC"]), ("d", "read"), ("d", "read"), ("a", ["EVAL", "return redis.call('publish', 'r3', 'lua')", "0"]),
        ("d", "read"), ("d", "read"), ("d", ["UNSUBSCRIBE", "r3"]), ("a", ["PUBLISH", "r3", "pattern only"]),
        ("d", "read"), ("d", ["PING"]),
    ],
}


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        self.id = None

    def send(self, args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode("latin-1")
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read(self):
        line = self._line()
        out = line + b"\r\n"
        t = line[:1]
        if t in b"$=" and int(line[1:]) >= 0:
            out += self._exact(int(line[1:]) + 2)
        elif t in b"*~>" and int(line[1:]) > 0:
            for _ in range(int(line[1:])):
                out += self.read()
        elif t == b"%" and int(line[1:]) > 0:
            for _ in range(2 * int(line[1:])):
                out += self.read()
        return out


def run(port, steps):
    conns, transcript = {}, []

    def conn(name):
        if name not in conns:
            c = Conn(port)
            c.send(["CLIENT", "ID"])
            c.id = c.read()[1:-2].decode()
            conns[name] = c
        return conns[name]

    for name in {s[0] for s in steps}:
        conn(name)
    ids = {n: c.id for n, c in conns.items()}
    for step in steps:
        name, what = step[0], step[1]
        c = conns[name]
        try:
            if what == "read":
                got = c.read()
            elif what == "close":
                c.sock.close()
                got = b"(closed)"
            else:
                args = [a if not a.startswith("{id:") else ids[a[4:-1]] for a in what]
                c.send(args)
                got = c.read()
        except (socket.timeout, EOFError) as e:
            got = ("TIMEOUT" if isinstance(e, socket.timeout) else "EOF").encode()
        text = got.decode("latin-1")
        # Client ids differ between the servers: named where a reply reports one (redirects), nowhere else.
        if what == "read" or (what[0] == "CLIENT" and what[1].upper() in ("GETREDIR", "TRACKINGINFO")):
            for n, i in ids.items():
                text = text.replace(":%s\r\n" % i, ":{id:%s}\r\n" % n)
        if len(step) > 2 and step[2] == "skip":
            text = "(not compared)"
        transcript.append((name, what if isinstance(what, str) else " ".join(what), text))
    for c in conns.values():
        c.sock.close()
    return transcript


def main():
    redis_port, dht_port = int(sys.argv[1]), int(sys.argv[2])
    differences = 0
    for title, steps in SCENARIOS.items():
        for port in (redis_port, dht_port):
            c = Conn(port)
            c.send(["FLUSHALL"])
            c.read()
            c.sock.close()
        expected, actual = run(redis_port, steps), run(dht_port, steps)
        same = sum(1 for e, a in zip(expected, actual) if e == a)
        print(f"{title}: {same}/{len(expected)} steps identical")
        for e, a in zip(expected, actual):
            if e != a:
                differences += 1
                print(f"  [{e[0]}] {e[1]}\n    redis:   {e[2]!r}\n    fastdht: {a[2]!r}")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
