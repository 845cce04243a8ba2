#!/usr/bin/env bash
# GC settings against a keyspace of KEYS keys being overwritten: one fastdht-node per setting, each filled first, then
# SET runs alternating between them. Per run: requests/s, the worst and p99 latency redis-benchmark saw (a blocking
# collection of a large heap shows as the worst latency, whatever the machine's load), the server's CPU per request,
# and from INFO memory the collections per million SETs, the GC pause per SET and the heap after the run.
# Why: the GC's gen0 budget decides how many overwritten entries are promoted before they die (docs/benchmarks.md,
# "Does a node slow down as it serves overwrites?"); a larger budget through non-concurrent GC also makes every gen2
# collection blocking, whose pause grows with the live heap, so the trade needs a keyspace larger than the 100,000
# keys of the usual runs.
# Args: NAME=ENV ... (ENV: VAR=value for that node, several separated by commas; "-" for none), e.g.
#   def=- noconc=DOTNET_gcConcurrent=0 gen0=DOTNET_GCgen0size=0x4000000
# Env: KEYS (2000000) N (3000000) P (16) C (50) D (16) RUNS (2) PORT_BASE (17800) DIR (the fastdht-node build)
# Usage: PORT_BASE=41580 bash benchmarks/gc-modes-keyspace.sh def=- noconc=DOTNET_gcConcurrent=0
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KEYS=${KEYS:-2000000}; N=${N:-3000000}; P=${P:-16}; C=${C:-50}; D=${D:-16}; RUNS=${RUNS:-2}; PORT_BASE=${PORT_BASE:-17800}
DIR=${DIR:-$ROOT/tools/fastdht-node/bin/Release/net10.0}
WORK=$(mktemp -d /tmp/gc-modes.XXXXXX)
source "$ROOT/benchmarks/lib.sh"
[ $# -gt 0 ] || { echo "usage: gc-modes-keyspace.sh NAME=ENV ..." >&2; exit 2; }
TICK=$(getconf CLK_TCK)
declare -A PORT PID_OF
NAMES=()
port=$PORT_BASE
for spec in "$@"; do
  name=${spec%%=*}; envs=${spec#*=}; [[ $envs == - ]] && envs=""
  port=$((port + 2))
  env ${envs//,/ } dotnet "$DIR/fastdht-node.dll" --members "0=127.0.0.1:$((port - 1))" --node-id 0 --resp "127.0.0.1:$port" \
    --log-level warning </dev/null >"$WORK/$name.log" 2>&1 &
  PIDS+=($!); PID_OF[$name]=$!; PORT[$name]=$port; NAMES+=("$name")
done
for n in "${NAMES[@]}"; do
  for i in $(seq 1 300); do redis-cli -p "${PORT[$n]}" set gc-modes:ready 1 2>/dev/null | grep -q OK && break; sleep 0.1; done
  # Fill: twice KEYS random SETs leave about 86% of the keys present, then the measured runs mostly overwrite.
  timeout 600 redis-benchmark -p "${PORT[$n]}" -t set -n $((2 * KEYS)) -r "$KEYS" -c "$C" -P 16 -d "$D" -q >/dev/null 2>&1
done
gc() { redis-cli -p "$1" info memory 2>/dev/null | tr -d '\r' | awk -F: '/^fastdht_gc_gen0_collections:/ {a=$2}
  /^fastdht_gc_gen2_collections:/ {b=$2} /^fastdht_gc_pause_total_ms:/ {c=$2} /^fastdht_gc_heap_bytes:/ {d=$2}
  /^fastdht_store_keys:/ {k=$2} END {print a + 0, b + 0, c + 0, d + 0, k + 0}'; }
echo "gc-modes-keyspace: SET -P $P -n $N -c $C -d $D over $KEYS keys, $RUNS rounds; $(date -u '+%F %H:%M') UTC; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %-8s %9s %8s %8s %7s %7s %6s %6s %8s %7s %9s\n' round node req/s p99ms maxms srv_us cli_us gc0/M gc2/M pause_us heapMB keys
for r in $(seq 1 "$RUNS"); do
  k=$(( (r - 1) % ${#NAMES[@]} ))
  for n in "${NAMES[@]:$k}" "${NAMES[@]:0:$k}"; do
    read -r g0 g2 ms _ _ <<<"$(gc "${PORT[$n]}")"; t0=$(awk '{print $14 + $15}' "/proc/${PID_OF[$n]}/stat")
    out=$( { /usr/bin/time -f "client %U %S" timeout 600 redis-benchmark -p "${PORT[$n]}" -t set -n "$N" -r "$KEYS" -c "$C" -P "$P" \
      -d "$D" --csv; } 2>&1 | tr '\r' '\n')
    t1=$(awk '{print $14 + $15}' "/proc/${PID_OF[$n]}/stat"); read -r h0 h2 hms heap keys <<<"$(gc "${PORT[$n]}")"
    # --csv: "SET","rps","avg","min","p50","p95","p99","max"
    csv=$(grep '^"SET"' <<<"$out" | tr -d '"'); cli=$(awk '/^client / {print $2 + $3}' <<<"$out")
    [[ -n $csv && -n $cli ]] || { echo "could not read redis-benchmark's output ($n):" >&2; tail -3 <<<"$out" >&2; exit 1; }
    awk -F, -v r="$r" -v n="$n" -v N="$N" -v tick="$TICK" -v srv=$((t1 - t0)) -v cli="$cli" -v g0=$((h0 - g0)) -v g2=$((h2 - g2)) \
      -v ms=$((hms - ms)) -v heap="$heap" -v keys="$keys" '{
        printf "%-5s %-8s %9.0f %8.3f %8.3f %7.3f %7.3f %6.2f %6.2f %8.3f %7.1f %9d\n", r, n, $2, $7, $8, srv / tick * 1e6 / N,
          cli * 1e6 / N, g0 * 1e6 / N, g2 * 1e6 / N, ms * 1e3 / N, heap / 1048576, keys }' <<<"$csv"
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$WORK"
