#!/usr/bin/env python3
"""Keyspace notifications side by side: the same commands against redis-server and a FastDht node, and the keyspace and
keyevent messages each sends for them, compared byte for byte.

Usage: python3 benchmarks/keyspace-events-vs-redis.py REDIS_PORT FASTDHT_PORT
Both on 127.0.0.1; FastDht as one node (it owns every slot, as the single redis-server does). Each scenario sets
notify-keyspace-events, has a subscriber PSUBSCRIBE '*', runs its commands on another connection (their replies are
compared too), then PUBLISHes a sentinel: the messages up to it are the scenario's events. Prints each differing step
and exits 1 on a difference. Every read waits at most 5 s.
"""
import socket
import sys
import time

# Keys share a hash tag only for readability: one node serves every slot here.
SCENARIOS = {
    "strings": ("KEA", [
        ["SET", "s", "1"], ["SET", "s", "2", "EX", "100"], ["SET", "s", "3", "KEEPTTL"], ["SET", "s", "4", "NX"],
        ["SET", "s", "5", "XX", "GET"], ["SETNX", "s", "x"], ["SETNX", "s2", "x"], ["SETEX", "s3", "10", "v"],
        ["PSETEX", "s4", "10000", "v"], ["GETSET", "s", "6"], ["MSET", "m1", "1", "m2", "2", "m1", "3"], ["MSETNX", "m3", "1", "m4", "2"],
        ["MSETNX", "m3", "1", "m5", "2"], ["INCR", "n"], ["DECR", "n"], ["INCRBY", "n", "5"], ["DECRBY", "n", "2"],
        ["INCRBYFLOAT", "n", "1.5"], ["APPEND", "s", "x"], ["SETRANGE", "s", "1", "yy"], ["SETRANGE", "s", "1", ""],
        ["GETDEL", "s"], ["GETDEL", "s"], ["GETEX", "s2", "EX", "100"], ["GETEX", "s2", "PERSIST"], ["GETEX", "s2", "PERSIST"],
        ["GETEX", "s2"], ["GETEX", "s2", "PXAT", "1"], ["SETBIT", "b", "3", "1"], ["SETBIT", "b", "3", "1"], ["SETBIT", "b", "3", "0"],
        ["SETBIT", "b", "100", "0"], ["BITFIELD", "bf", "SET", "u8", "0", "5"], ["BITFIELD", "bf", "GET", "u8", "0"],
        ["BITFIELD", "bf", "INCRBY", "u8", "0", "1"], ["BITOP", "AND", "bo", "b", "bf"], ["BITOP", "AND", "bo", "nope1", "nope2"],
        ["BITOP", "AND", "bo", "nope1", "nope2"], ["PFADD", "h", "a", "b"], ["PFADD", "h", "a"], ["PFMERGE", "h2", "h"],
        ["PFCOUNT", "h"], ["LCS", "s3", "s4"],
    ]),
    "generic": ("KEA", [
        ["SET", "g", "1"], ["EXPIRE", "g", "100"], ["PEXPIRE", "g", "100000"], ["EXPIREAT", "g", "99999999999"],
        ["PEXPIREAT", "g", "99999999999000"], ["EXPIRE", "g", "100", "NX"], ["PERSIST", "g"], ["PERSIST", "g"],
        ["EXPIRE", "g", "0"], ["EXPIRE", "g", "10"], ["SET", "g", "1"], ["PEXPIREAT", "g", "1"], ["SET", "g", "1"],
        ["DEL", "g", "nope", "g"], ["SET", "g", "1"], ["UNLINK", "g"], ["SET", "r", "1"], ["RENAME", "r", "r2"],
        ["RENAMENX", "r2", "r3"], ["SET", "r4", "x"], ["RENAMENX", "r3", "r4"], ["RENAME", "r3", "r4"], ["COPY", "r4", "r5"],
        ["COPY", "r4", "r5"], ["COPY", "r4", "r5", "REPLACE"], ["TOUCH", "r5"], ["EXISTS", "r5"], ["TYPE", "r5"],
        ["RPUSH", "so", "3", "1", "2"], ["SORT", "so", "STORE", "sd"], ["SORT", "nope", "STORE", "sd"], ["SORT", "nope", "STORE", "sd"],
    ]),
    "lists": ("KEA", [
        ["LPUSH", "l", "a", "b"], ["RPUSH", "l", "c"], ["LPUSHX", "l", "z"], ["RPUSHX", "nope", "z"], ["LINSERT", "l", "BEFORE", "a", "x"],
        ["LINSERT", "l", "BEFORE", "nope", "x"], ["LSET", "l", "0", "y"], ["LREM", "l", "0", "nope"], ["LREM", "l", "0", "x"],
        ["LTRIM", "l", "0", "-1"], ["LTRIM", "l", "0", "1"], ["LPOP", "l"], ["RPOP", "l"], ["RPOP", "l"], ["RPUSH", "l", "1", "2", "3"],
        ["LPOP", "l", "0"], ["LPOP", "l", "2"], ["RPOPLPUSH", "l", "l2"], ["RPUSH", "l", "1", "2"], ["LMOVE", "l", "l2", "LEFT", "RIGHT"],
        ["LMOVE", "l", "l", "LEFT", "RIGHT"], ["LMPOP", "2", "nope", "l", "LEFT", "COUNT", "5"], ["BLPOP", "l2", "0.01"],
        ["BRPOP", "l2", "0.01"], ["BLPOP", "l2", "0.01"], ["RPUSH", "l3", "a"], ["BLMOVE", "l3", "l4", "RIGHT", "LEFT", "0.01"],
        ["BLMPOP", "0.01", "1", "l4", "RIGHT"], ["RPUSH", "l", "a"], ["LTRIM", "l", "1", "0"],
    ]),
    "hashes-sets": ("KEA", [
        ["HSET", "h", "f", "1", "g", "2"], ["HSET", "h", "f", "1"], ["HMSET", "h", "f", "2"], ["HSETNX", "h", "f", "3"],
        ["HSETNX", "h", "n", "3"], ["HINCRBY", "h", "f", "1"], ["HINCRBYFLOAT", "h", "f", "0.5"], ["HDEL", "h", "nope"],
        ["HDEL", "h", "f", "g"], ["HDEL", "h", "n"], ["SADD", "s", "a", "b", "c"], ["SADD", "s", "a"], ["SREM", "s", "x"],
        ["SREM", "s", "a"], ["SMOVE", "s", "t", "b"], ["SMOVE", "s", "t", "nope"], ["SMOVE", "s", "t", "c"], ["SADD", "u", "1", "2"],
        ["SINTERSTORE", "d", "t", "u"], ["SUNIONSTORE", "d", "t", "u"], ["SDIFFSTORE", "d", "t", "u"], ["SINTERSTORE", "d", "t", "u"],
        ["SINTERSTORE", "d", "t", "u"], ["SREM", "u", "2"], ["SPOP", "u"], ["SADD", "u", "3"], ["SPOP", "u", "5"],
        ["SPOP", "t", "0"],
    ]),
    "zsets-geo": ("KEA", [
        ["ZADD", "z", "1", "a", "2", "b"], ["ZADD", "z", "1", "a"], ["ZADD", "z", "XX", "CH", "5", "a"], ["ZADD", "z", "INCR", "1", "a"],
        ["ZADD", "z", "NX", "INCR", "1", "a"], ["ZINCRBY", "z", "0", "a"], ["ZINCRBY", "z", "1", "c"], ["ZREM", "z", "nope"],
        ["ZREM", "z", "c"], ["ZADD", "z2", "1", "x", "2", "y", "3", "w"], ["ZUNIONSTORE", "zd", "2", "z", "z2"],
        ["ZINTERSTORE", "zd", "2", "z", "z2"], ["ZINTERSTORE", "zd", "2", "z", "z2"], ["ZDIFFSTORE", "zd", "1", "z"],
        ["ZRANGESTORE", "zd", "z2", "0", "0"], ["ZRANGESTORE", "zd", "z2", "5", "6"], ["ZREMRANGEBYRANK", "z2", "0", "0"],
        ["ZREMRANGEBYSCORE", "z2", "2", "2"], ["ZADD", "z2", "0", "p", "0", "q"], ["ZREMRANGEBYLEX", "z2", "[p", "[p"],
        ["ZPOPMIN", "z2"], ["ZPOPMAX", "z2", "5"], ["ZMPOP", "1", "z", "MIN", "COUNT", "1"], ["BZPOPMIN", "z", "0.01"],
        ["BZPOPMAX", "z", "0.01"], ["BZMPOP", "0.01", "1", "zd", "MAX"],
        ["GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
        ["GEOADD", "geo", "XX", "13.361389", "38.115556", "Palermo"],
        ["GEOSEARCHSTORE", "gd", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"],
        ["GEOSEARCHSTORE", "gd", "geo", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "ASC"],
    ]),
    "transactions-scripts": ("KEA", [
        ["MULTI"], ["SET", "t", "1"], ["INCR", "t"], ["LPUSH", "tl", "a"], ["DEL", "t"], ["EXEC"],
        ["EVAL", "redis.call('set', KEYS[1], 'x'); redis.call('expire', KEYS[1], 100); return redis.call('del', KEYS[1])", "1", "e"],
        ["EVAL", "return redis.call('rpush', KEYS[1], 'x')", "1", "e2"],
    ]),
    "classes-new-keymiss": ("lE$nm", [
        ["SET", "a", "1"], ["SET", "a", "2"], ["GET", "a"], ["GET", "nope"], ["LPUSH", "l", "x"], ["LPUSH", "l", "y"],
        ["DEL", "a"], ["HGET", "nope", "f"], ["EXISTS", "nope"], ["LRANGE", "nope", "0", "-1"], ["MGET", "nope", "a"],
    ]),
    "keyspace-only-gx": ("Kgx", [
        ["SET", "k", "1"], ["EXPIRE", "k", "100"], ["DEL", "k"], ["SET", "k", "1", "PX", "50"], ["SLEEP", "0.5"],
    ]),
    "off": ("", [
        ["SET", "o", "1"], ["DEL", "o"], ["LPUSH", "o", "x"],
    ]),
}


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def send(self, args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode("latin-1")
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)

    def _fill(self, predicate):
        while not predicate():
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def read(self):
        self._fill(lambda: b"\r\n" in self.buf)
        line, self.buf = self.buf.split(b"\r\n", 1)
        out = line + b"\r\n"
        t = line[:1]
        if t in b"$=" and int(line[1:]) >= 0:
            n = int(line[1:]) + 2
            self._fill(lambda: len(self.buf) >= n)
            out += self.buf[:n]
            self.buf = self.buf[n:]
        elif t in b"*~>" and int(line[1:]) > 0:
            for _ in range(int(line[1:])):
                out += self.read()
        elif t == b"%" and int(line[1:]) > 0:
            for _ in range(2 * int(line[1:])):
                out += self.read()
        return out


def run(port, classes, commands):
    admin, sub, client = Conn(port), Conn(port), Conn(port)
    admin.send(["FLUSHALL"])
    admin.read()
    admin.send(["CONFIG", "SET", "notify-keyspace-events", classes])
    transcript = [("config", admin.read())]
    sub.send(["PSUBSCRIBE", "*"])
    sub.read()
    for command in commands:
        if command[0] == "SLEEP":
            time.sleep(float(command[1]))  # lets a short expiry pass (the active expiry removes the key)
            continue
        client.send(command)
        transcript.append((" ".join(command), client.read()))
    client.send(["PUBLISH", "sentinel", "end"])
    client.read()
    # Bounded: a scenario sends well under 500 events; the sentinel ends the read.
    for _ in range(500):
        try:
            message = sub.read()
        except (socket.timeout, EOFError) as e:
            transcript.append(("event", type(e).__name__.encode()))
            break
        if b"sentinel" in message:
            break
        transcript.append(("event", message))
    admin.send(["CONFIG", "SET", "notify-keyspace-events", ""])
    admin.read()
    for c in (admin, sub, client):
        c.sock.close()
    return transcript


def main():
    redis_port, dht_port = int(sys.argv[1]), int(sys.argv[2])
    differences = 0
    total = 0
    for title, (classes, commands) in SCENARIOS.items():
        expected, actual = run(redis_port, classes, commands), run(dht_port, classes, commands)
        same = sum(1 for e, a in zip(expected, actual) if e == a)
        longest = max(len(expected), len(actual))
        total += longest
        differences += longest - same
        print(f"{title}: {same}/{longest} steps identical ({sum(1 for s in expected if s[0] == 'event')} events from redis)")
        for i in range(longest):
            e = expected[i] if i < len(expected) else ("(none)", b"")
            a = actual[i] if i < len(actual) else ("(none)", b"")
            if e != a:
                print(f"  step {i}: redis:   {e[0]} -> {e[1]!r}\n          fastdht: {a[0]} -> {a[1]!r}")
    print(f"total: {total - differences}/{total} identical")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
