#!/usr/bin/env bash
# Where a node's CPU goes, down to the instruction of a JIT-compiled method, without jitdump: runs one fastdht-node
# with a perf map (DOTNET_PerfMapEnabled=3), drives it with redis-benchmark, samples it with `perf record`, prints the
# top symbols (managed ones named through the map), then for each method matching PATTERN reads its machine code from
# the live process (/proc/PID/mem at the address the map gives), disassembles it (objdump) and prints the share of all
# samples on each instruction. A cache miss shows as a heavy instruction right after the load that missed (skid).
# Needs perf, objdump (binutils), python3, redis-benchmark; run as root (perf, /proc/PID/mem).
# Env: DIR (tools/fastdht-node/bin/Release/net10.0) PATTERN (TryGetTyped) T (get) P (16) C (50) D (16) SECONDS_ (6)
#      TIER (OptimizedTier1; "Optimized" for methods with loops compiled straight to full opt) TOP (30) MIN (0.2: % to
#      print an instruction) PORT_BASE (17671) OUT (/tmp/fastdht-annotate) DOTNET_ENV (extra environment for the node,
#      e.g. DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT=1)
# Usage: PATTERN='LocalKeyspace::TryGetTyped|ShardedStore::Prefetch' TIER='Optimized|OptimizedTier1' bash benchmarks/perf-annotate.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${DIR:-$ROOT/tools/fastdht-node/bin/Release/net10.0}; PATTERN=${PATTERN:-TryGetTyped}; T=${T:-get}; P=${P:-16}
C=${C:-50}; D=${D:-16}; SECS=${SECONDS_:-6}; TIER=${TIER:-OptimizedTier1}; TOP=${TOP:-30}; MIN=${MIN:-0.2}
PORT_BASE=${PORT_BASE:-17671}; OUT=${OUT:-/tmp/fastdht-annotate}
mkdir -p "$OUT"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
env ${DOTNET_ENV:-} DOTNET_PerfMapEnabled=3 dotnet "$DIR/fastdht-node.dll" --members "0=127.0.0.1:$PORT_BASE" --node-id 0 \
  --resp "127.0.0.1:$((PORT_BASE + 1))" --log-level warning >/dev/null 2>&1 & NODE=$!; PIDS+=($NODE)
for i in $(seq 1 300); do redis-cli -p $((PORT_BASE + 1)) ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-benchmark -p $((PORT_BASE + 1)) -t set,get -n 600000 -r 100000 -c "$C" -P 16 -d "$D" -q >/dev/null 2>&1
redis-benchmark -p $((PORT_BASE + 1)) -t "$T" -n 1000000000 -r 100000 -c "$C" -P "$P" -d "$D" -l -q >/dev/null 2>&1 & PIDS+=($!)
sleep 1
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   -t $T -P $P -c $C"
perf record -F 2999 -p "$NODE" -o "$OUT/perf.data" -- sleep "$SECS" >/dev/null 2>&1
perf script -i "$OUT/perf.data" -F ip,sym 2>/dev/null >"$OUT/ips.txt"
MAP=/tmp/perf-$NODE.map
python3 - "$MAP" "$OUT/ips.txt" "$TOP" <<'PY'
import bisect, collections, re, sys
entries = sorted((int(a, 16), int(s, 16), n.strip()) for a, s, n in (l.split(' ', 2) for l in open(sys.argv[1]) if l.count(' ') >= 2))
starts = [e[0] for e in entries]
counts = collections.Counter(); total = 0
for line in open(sys.argv[2]):
    parts = line.split()
    if not parts: continue
    total += 1; ip = int(parts[0], 16); i = bisect.bisect_right(starts, ip) - 1
    name = entries[i][2] if i >= 0 and ip < entries[i][0] + entries[i][1] else ' '.join(parts[1:]) or '?'
    counts[re.sub(r'\(.*\)', '()', name)] += 1
print(f"top symbols ({total} samples):")
for name, n in counts.most_common(int(sys.argv[3])): print(f"{n * 100 / total:6.2f}%  {name[:150]}")
PY
grep -E "$PATTERN" "$MAP" | grep -E "\[($TIER)\]$" | while read -r addr size name; do
  start=$((addr)); length=$((0x$size))
  echo; echo "=== $name"
  dd if=/proc/$NODE/mem bs=1 skip="$start" count="$length" 2>/dev/null >"$OUT/code.bin"
  objdump -D -b binary -mi386:x86-64 --adjust-vma="$start" "$OUT/code.bin" | grep -E '^ +[0-9a-f]+:' >"$OUT/code.asm"
  python3 - "$OUT/ips.txt" "$OUT/code.asm" "$MIN" <<'PY'
import collections, sys
ips = collections.Counter(); total = 0
for line in open(sys.argv[1]):
    parts = line.split()
    if parts: total += 1; ips[int(parts[0], 16)] += 1
rows = [(ips.get(int(l.split(':')[0], 16), 0) * 100 / total, l.rstrip()) for l in open(sys.argv[2])]
print(f"method total {sum(r[0] for r in rows):.2f}% of samples; instructions at >= {sys.argv[3]}%:")
for share, line in rows:
    if share >= float(sys.argv[3]): print(f"{share:6.2f}%  {line.strip()}")
PY
done
