# redis-py (not cluster-aware) against one FastDht node: lists, hashes, sets and sorted sets on keys owned by every node,
# WRONGTYPE, TYPE, COPY/RENAME/EXPIRE of collections, the multi-key commands across nodes, a blocked BLPOP woken by
# another client's push, collection commands in the default pipeline (MULTI/EXEC), SORT with patterns naming keys of
# other nodes, ZUNIONSTORE and ZRANGESTORE across nodes. Prints "ok" or fails.
import sys
import threading
import time

import redis

port = int(sys.argv[1])
owned = sys.argv[2:5]  # one key owned by each of the three nodes
r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=20)
r.delete(*[k + s for k in owned for s in (":l", ":h", ":s", ":z", ":c", ":d", ":b")])

for k in owned:
    # Lists.
    assert r.rpush(k + ":l", "b", "c") == 2
    assert r.lpush(k + ":l", "a") == 3
    assert r.lrange(k + ":l", 0, -1) == [b"a", b"b", b"c"]
    assert r.lindex(k + ":l", -1) == b"c"
    assert r.linsert(k + ":l", "before", "c", "x") == 4
    assert r.lpos(k + ":l", "x") == 2
    assert r.lrem(k + ":l", 0, "x") == 1
    assert r.lpop(k + ":l", 2) == [b"a", b"b"]
    assert r.llen(k + ":l") == 1 and r.type(k + ":l") == b"list"
    # Hashes.
    assert r.hset(k + ":h", mapping={"f1": "v1", "f2": "v2"}) == 2
    assert r.hget(k + ":h", "f1") == b"v1" and r.hlen(k + ":h") == 2
    assert r.hincrby(k + ":h", "n", 5) == 5 and r.hincrbyfloat(k + ":h", "n", 0.5) == 5.5
    assert r.hgetall(k + ":h") == {b"f1": b"v1", b"f2": b"v2", b"n": b"5.5"}
    assert r.hdel(k + ":h", "f2", "nope") == 1 and not r.hexists(k + ":h", "f2")
    # Sets.
    assert r.sadd(k + ":s", "a", "b", "c", "a") == 3
    assert r.smembers(k + ":s") == {b"a", b"b", b"c"} and r.sismember(k + ":s", "b")
    assert r.srem(k + ":s", "b") == 1 and r.scard(k + ":s") == 2
    assert r.srandmember(k + ":s") in (b"a", b"c")
    # Sorted sets.
    assert r.zadd(k + ":z", {"a": 1, "b": 2, "c": 1.5}) == 3
    assert r.zrange(k + ":z", 0, -1, withscores=True) == [(b"a", 1.0), (b"c", 1.5), (b"b", 2.0)]
    assert r.zadd(k + ":z", {"a": 3}, gt=True, ch=True) == 1 and r.zscore(k + ":z", "a") == 3.0
    assert r.zrangebyscore(k + ":z", "(1.5", "+inf") == [b"b", b"a"]
    assert r.zrank(k + ":z", "a") == 2 and r.zcard(k + ":z") == 3
    assert r.zpopmin(k + ":z") == [(b"c", 1.5)]

    # A string command against a collection, and the other way round: Redis's words.
    try:
        r.get(k + ":l")
        raise AssertionError("GET of a list did not fail")
    except redis.ResponseError as e:
        assert str(e) == "WRONGTYPE Operation against a key holding the wrong kind of value", str(e)
    try:
        r.lpush(k + ":h", "x")
        raise AssertionError("LPUSH on a hash did not fail")
    except redis.ResponseError as e:
        assert str(e).startswith("WRONGTYPE"), str(e)

# Expiry, COPY and RENAME keep the type, across nodes.
assert r.expire(owned[0] + ":l", 100) and 95 <= r.ttl(owned[0] + ":l") <= 100
assert r.rpush(owned[0] + ":l", "more") == 2 and 95 <= r.ttl(owned[0] + ":l") <= 100
assert r.copy(owned[0] + ":z", owned[1] + ":c")
assert r.type(owned[1] + ":c") == b"zset" and r.zrange(owned[1] + ":c", 0, -1) == [b"b", b"a"]
assert r.rename(owned[0] + ":h", owned[2] + ":d")
assert r.type(owned[2] + ":d") == b"hash" and r.hget(owned[2] + ":d", "f1") == b"v1"
assert sorted(r.scan_iter(match=owned[2] + ":*", _type="hash")) == [(owned[2] + ":d").encode(), (owned[2] + ":h").encode()]

# Multi-key commands over keys of different nodes: one atomic transaction each.
assert r.lmove(owned[0] + ":l", owned[1] + ":l", "LEFT", "RIGHT") == b"c"
assert r.lrange(owned[1] + ":l", 0, -1) == [b"c", b"c"]
assert r.sunionstore(owned[2] + ":s", owned[0] + ":s", owned[1] + ":s") == 2
assert r.smove(owned[0] + ":s", owned[1] + ":s", "a") and not r.sismember(owned[0] + ":s", "a")

# BLPOP: times out with nothing, and is woken by another client's push.
assert r.blpop([owned[2] + ":b"], timeout=0.2) is None
result = {}
blocked = redis.Redis(host="127.0.0.1", port=port, socket_timeout=20)
waiter = threading.Thread(target=lambda: result.setdefault("v", blocked.blpop([owned[1] + ":b", owned[2] + ":b"], timeout=15)))
waiter.start()
deadline = time.monotonic() + 15
while int(r.info("clients")["blocked_clients"]) == 0:
    assert time.monotonic() < deadline, "the BLPOP never showed as blocked"
    time.sleep(0.02)
assert r.rpush(owned[2] + ":b", "wake") == 1
waiter.join(20)
assert result.get("v") == (owned[2].encode() + b":b", b"wake"), result
assert r.exists(owned[2] + ":b") == 0

# The default pipeline is MULTI/EXEC: collection commands inside it run as one transaction, BLPOP without blocking.
with r.pipeline() as p:
    p.rpush(owned[0] + ":b", "1", "2")
    p.hset(owned[1] + ":b", "f", "v")
    p.blpop([owned[0] + ":b"], timeout=0)
    p.lrange(owned[0] + ":b", 0, -1)
    assert p.execute() == [2, 1, (owned[0].encode() + b":b", b"1"), [b"2"]]
# SORT with BY/GET patterns naming keys of other nodes, stored on a third; ZUNIONSTORE/ZRANGESTORE across nodes.
src = owned[0] + ":sort"
r.delete(src, owned[2] + ":sorted", owned[0] + ":za", owned[1] + ":zb", owned[2] + ":zu")
for i, k in enumerate(owned):
    r.set("pyw_" + k, 3 - i)
    r.rpush(src, k)
assert r.sort(src, by="pyw_*") == [k.encode() for k in reversed(owned)]
assert r.sort(src, by="pyw_*", get=["#", "pyw_*"], start=0, num=1) == [owned[2].encode(), b"1"]
assert r.sort(src, by="pyw_*", desc=True, store=owned[2] + ":sorted") == 3
assert r.lrange(owned[2] + ":sorted", 0, -1) == [k.encode() for k in owned]
r.zadd(owned[0] + ":za", {"a": 1, "b": 2})
r.zadd(owned[1] + ":zb", {"b": 3, "c": 4})
assert r.zunionstore(owned[2] + ":zu", [owned[0] + ":za", owned[1] + ":zb"]) == 3
assert r.zscore(owned[2] + ":zu", "b") == 5.0
assert r.zrangestore(owned[0] + ":za", owned[2] + ":zu", 1, 2) == 2
assert r.zrange(owned[0] + ":za", 0, -1) == [b"c", b"b"]
print("ok")
