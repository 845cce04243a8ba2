"""redis-py against one FastDht node: the default pipeline() (MULTI/EXEC) and WATCH over keys on several nodes.

Usage: transactions.py PORT KEY_A KEY_B KEY_C (the keys are owned by different nodes). Prints "ok" or raises.
"""
import sys

import redis

port = int(sys.argv[1])
a, b, c = sys.argv[2:5]
r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
other = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
r.delete(a, b, c)

# pipeline() is a MULTI/EXEC transaction by default.
with r.pipeline() as pipe:
    pipe.set(a, 10).incrby(a, 5).append(b, "xy").mget(a, b, c).set(c, "v", ex=100)
    assert pipe.execute() == [True, 15, 2, ["15", "xy", None], True], "pipeline results"
assert 90 <= r.ttl(c) <= 100, "the TTL set inside the transaction"

# A runtime error inside EXEC is reported in its place; the other commands apply.
with r.pipeline() as pipe:
    pipe.incr(b).set(a, "after")
    results = pipe.execute(raise_on_error=False)
    assert isinstance(results[0], redis.ResponseError), results
    assert results[1] is True
assert r.get(a) == "after"

# WATCH: the optimistic check-and-set loop, with a conflicting write from another connection the first time.
attempts = 0
with r.pipeline() as pipe:
    while True:
        try:
            pipe.watch(a, c)
            current = pipe.get(a)
            if attempts == 0:
                other.set(a, "changed")
            attempts += 1
            pipe.multi()
            pipe.set(b, current + "!")
            pipe.execute()
            break
        except redis.WatchError:
            continue
assert attempts == 2, attempts
assert r.get(b) == "changed!", r.get(b)
print("ok")
