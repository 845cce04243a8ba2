#!/usr/bin/env bash
# One node under a few runtime GC settings, one after another: RPUSH on a 150,000-element list, SET of 100 KB and of
# 1 MB values, -P 16 SET/GET of 16 bytes, and the resident memory after (docs/benchmarks.md, "Lists: pops without a
# decode, and the large-object heap").
#   benchmarks/gc-loh-threshold.sh BUILD_DIR        Env: PORT (39410) ROUNDS (2) SETTINGS (the three below)
set -u
DIR=${1:?usage: $0 BUILD_DIR}; PORT=${PORT:-39410}; ROUNDS=${ROUNDS:-2}
SETTINGS=${SETTINGS:-"X=1 DOTNET_GCLOHThreshold=0x100000 DOTNET_GCLOHThreshold=0x1000000"}
run() {
  env "$@" dotnet "$DIR/fastdht-node.dll" --members 127.0.0.1:$PORT --resp 127.0.0.1:$((PORT + 1)) > /tmp/gc-loh-node.log 2>&1 &
  local B=$!
  sleep 3
  local P=$((PORT + 1))
  redis-benchmark -p $P -t rpush -n 150000 -P 32 -q > /dev/null 2>&1
  local r s1 s2 s3
  r=$(timeout 60 redis-benchmark -p $P -t rpush -n 20000 -q 2>&1 | tr '\r' '\n' | grep 'per second' | cut -d' ' -f2)
  s1=$(timeout 60 redis-benchmark -p $P -t set -d 100000 -r 2000 -n 20000 -q 2>&1 | tr '\r' '\n' | grep 'per second' | cut -d' ' -f2)
  s2=$(timeout 60 redis-benchmark -p $P -t set -d 1000000 -r 300 -n 3000 -c 10 -q 2>&1 | tr '\r' '\n' | grep 'per second' | cut -d' ' -f2)
  s3=$(timeout 60 redis-benchmark -p $P -t set,get -d 16 -r 100000 -n 1000000 -P 16 -q 2>&1 | tr '\r' '\n' | grep 'per second' | cut -d' ' -f2 | tr '\n' ' ')
  echo "$* : rpush $r | set100k $s1 | set1M $s2 | P16 set/get $s3 | rss $(ps -o rss= -p $B)k | load $(cut -d' ' -f1 /proc/loadavg)"
  kill $B; wait $B 2>/dev/null
}
for round in $(seq "$ROUNDS"); do
  for s in $SETTINGS; do run "$s"; done
done
