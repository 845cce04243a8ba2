"""redis-py against one FastDht node: EVAL, register_script (EVALSHA with its NOSCRIPT fallback), SCRIPT.

Usage: scripting.py PORT KEY_A KEY_B (keys owned by another node than the one connected to). Prints "ok" or raises.
"""
import sys

import redis

port = int(sys.argv[1])
a, b = sys.argv[2:4]
tagged = "{" + a + "}x"  # same owner as a
r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
r.delete(a, b, tagged)

assert r.eval("redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", 1, a, "v") == "v"
assert r.get(a) == "v"
assert r.eval("return {1, 'two', {3}}", 0) == [1, "two", [3]]

# A Script object runs by SHA-1 and loads itself on NOSCRIPT.
r.script_flush()
incr = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
assert incr(keys=[b], args=[5]) == 5
assert incr(keys=[b], args=[2]) == 7
assert r.script_exists(incr.sha) == [True]

# Two keys of one owner in one script; keys on two owners are refused as Redis Cluster refuses them.
assert r.eval("redis.call('set', KEYS[2], redis.call('get', KEYS[1])) return 1", 2, a, tagged) == 1
assert r.get(tagged) == "v"
try:
    r.eval("return 1", 2, a, b)
    raise AssertionError("keys on two owners were accepted")
except redis.ResponseError as e:
    assert "CROSSSLOT" in str(e), e

try:
    r.eval("return redis.call('incr', KEYS[1])", 1, a)
    raise AssertionError("the script's error was not raised")
except redis.ResponseError as e:
    assert "not an integer" in str(e), e

try:
    r.script_kill()
    raise AssertionError("SCRIPT KILL with nothing running succeeded")
except redis.ResponseError as e:
    assert "No scripts in execution" in str(e), e

print("ok")
