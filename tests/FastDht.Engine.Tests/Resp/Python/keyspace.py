# redis-py (a client that is not cluster-aware) against one FastDht node: expiry, scan_iter over every node, a DEL of
# keys on every node, and what the client reads about the server. Prints "ok" or fails with an assertion.
import sys
import time

import redis

port = int(sys.argv[1])
owned = sys.argv[2:5]  # one key owned by each of the three nodes
r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=20)

# Expiry: SET PX/EX, TTL/PTTL, EXPIRE, PERSIST, GETEX, and a key gone once its time is up.
assert r.set(owned[0], "v", px=3000)
assert 0 < r.pttl(owned[0]) <= 3000
assert r.set(owned[1], "v", ex=100)
assert 95 <= r.ttl(owned[1]) <= 100
assert r.expire(owned[1], 1000)
assert r.persist(owned[1])
assert r.ttl(owned[1]) == -1
assert r.set(owned[2], "w")
assert r.getex(owned[2], px=100000) == b"w"
assert 0 < r.pttl(owned[2]) <= 100000
deadline = time.monotonic() + 20
while r.exists(owned[0]):
    assert time.monotonic() < deadline, "the key set with PX 3000 did not expire"
    time.sleep(0.05)
assert r.get(owned[0]) is None

# scan_iter: every key of every node exactly once, through this one node.
names = [f"pyscan:{i}" for i in range(200)]
for name in names:
    r.set(name, "x")
seen = list(r.scan_iter(match="pyscan:*", count=7))
assert sorted(seen) == sorted(n.encode() for n in names), f"scan_iter returned {len(seen)} keys, {len(set(seen))} distinct"
assert r.dbsize() >= 200

# DEL over keys on every node in one command: the node fans it out and answers the sum.
assert r.delete(owned[1], owned[2], *names[:50], "pyscan:none") == 52
assert r.exists(owned[1], owned[2], *names[:50]) == 0
assert len(list(r.scan_iter(match="pyscan:*", count=50))) == 150

# What the client reads about the server.
info = r.client_info()
assert info["id"] > 0 and "age" in info and "idle" in info and info["cmd"] == "client|info", info
assert any(int(c["id"]) == info["id"] for c in r.client_list())
assert r.config_get("maxmemory") == {"maxmemory": "0"}
assert "used_cpu_user" in r.info("cpu")
assert r.command_count() > 50
print("ok")
