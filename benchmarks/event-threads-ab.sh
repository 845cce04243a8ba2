#!/usr/bin/env bash
# Socket event threads, A against B (issue 14): the same fastdht-node build run with `--socket-threads A` and with
# `--socket-threads B` (the setting reaches the nodes as FASTDHT_NODE_SOCKETTHREADS, so no other process sees it),
# measured in one run, alternating, on everything the event threads carry:
#
#   single    one node: benchmarks/cpu-per-request-ab.sh (A, B and Redis in rotated rounds), redis-benchmark SET and GET
#             at -P 1 (N_SINGLE requests) and -P 16 (3 x N_SINGLE); requests/s and the server's CPU µs per request.
#   durable   one node with a data directory and --fsync always (issue 10): cpu-per-request-ab.sh, SET at -P 1 and
#             -P 16, A and B only (each its own fresh data directory under $WORK).
#   failover  benchmarks/failover-time.sh (3 nodes, --replicas 1, SIGKILL of a primary under load -> first acknowledged
#             write to one of its keys), FAILOVER_ROUNDS kills per setting per run; every kill's figure is kept.
#   replicas  two 3-node clusters with --replicas 1 side by side (one per setting), `FastDht.Benchmarks resp-set`
#             (a SET is answered once its replica has it) at -P 1 and -P 16 alternating between them, SECONDS_PER_RUN each.
#   cluster   two 3-node clusters without replicas side by side, redis-benchmark --cluster SET and GET at -P 1 and -P 16
#             (N_CLUSTER requests) alternating between them.
#
# Every part runs RUNS rounds; the order of A and B flips each round, so machine load falls on both alike. Prints
# every round, then the medians side by side with B / A and the load average (also in $WORK/table.md). The nodes of
# the replicas and cluster parts log their "Socket event threads:" line, printed once per setting as a check that
# the count took effect.
#
# Env: A (cores) B (1) RUNS (3) PARTS ("single durable failover replicas cluster") N_SINGLE (300000) N_CLUSTER (900000)
#      FAILOVER_ROUNDS (4) WRITERS (8) SECONDS_PER_RUN (10) C (50) D (16) R (100000) PORT_BASE (17800: uses
#      PORT_BASE..PORT_BASE+340) SKIP_BUILD (0) WORK (a new temp dir)
# Smoke test: RUNS=1 N_SINGLE=30000 N_CLUSTER=60000 FAILOVER_ROUNDS=2 SECONDS_PER_RUN=2 bash benchmarks/event-threads-ab.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t event-threads-ab.XXXX)}
A=${A:-cores}; B=${B:-1}; RUNS=${RUNS:-3}; PARTS=${PARTS:-single durable failover replicas cluster}
N_SINGLE=${N_SINGLE:-300000}; N_CLUSTER=${N_CLUSTER:-900000}; FAILOVER_ROUNDS=${FAILOVER_ROUNDS:-4}; WRITERS=${WRITERS:-8}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}; C=${C:-50}; D=${D:-16}; R=${R:-100000}
PORT_BASE=${PORT_BASE:-17800}; SKIP_BUILD=${SKIP_BUILD:-0}
source "$ROOT/benchmarks/lib.sh"
mkdir -p "$WORK"
for tool in redis-server redis-cli redis-benchmark dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: apt-get install redis-server redis-tools)" >&2; exit 1; }
done
NODE_DIR="$ROOT/tools/fastdht-node/bin/Release/net10.0"
BENCH_DLL="$ROOT/benchmarks/bin/Release/net10.0/FastDht.Benchmarks.dll"
export FASTDHT_NODE_CLUSTERSECRET="${FASTDHT_NODE_CLUSTERSECRET:-$(head -c 32 /dev/urandom | base64)}"
[[ $SKIP_BUILD == 1 ]] || { log "building fastdht-node and the benchmarks (Release)"; build_release tools/fastdht-node/fastdht-node.csproj benchmarks/FastDht.Benchmarks.csproj; }

declare -A VALUE=([A]=$A [B]=$B)
declare -A SAMPLES   # "row name|setting" -> newline-separated figures
ROWS=()              # row names in the order first seen
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
median() { sort -g | awk '{a[NR]=$1} END { if (NR == 0) { print "NA"; exit } if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
add() { # ROW SETTING FIGURE...
  local row=$1 s=$2 v; shift 2
  [[ -n ${SEEN[$row]:-} ]] || { SEEN[$row]=1; ROWS+=("$row"); }
  for v in "$@"; do SAMPLES["$row|$s"]+="$v"$'\n'; done
}
declare -A SEEN
declare -A FAILED=([A]=0 [B]=0)  # failover-time.sh runs that failed, per setting
order_of() { (( $1 % 2 == 0 )) && echo "A B" || echo "B A"; } # ROUND -> the settings in this round's order
responds() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }
refuse_busy() { if responds "$1"; then echo "port $1 already serves something: refusing to touch it" >&2; exit 1; fi; }
wait_up() { local i; for i in $(seq 1 300); do responds "$1" && return 0; sleep 0.1; done; echo "port $1 did not come up (logs in $WORK)" >&2; exit 1; }

start_cluster() { # SETTING BASE REPLICAS: three nodes, RESP on BASE+11..13, logs $WORK/SETTING-rREPLICAS-ID.log
  local s=$1 base=$2 replicas=$3 id members
  members="0=127.0.0.1:$((base + 1)),1=127.0.0.1:$((base + 2)),2=127.0.0.1:$((base + 3))"
  for id in 0 1 2; do
    refuse_busy "$((base + 11 + id))"
    FASTDHT_NODE_SOCKETTHREADS=${VALUE[$s]} dotnet "$NODE_DIR/fastdht-node.dll" --members "$members" --node-id "$id" \
      --cluster "event-threads-$s-r$replicas" --replicas "$replicas" --resp "127.0.0.1:$((base + 11 + id))" \
      --log-level information </dev/null >"$WORK/$s-r$replicas-$id.log" 2>&1 &
    PIDS+=($!)
  done
  for id in 0 1 2; do wait_up "$((base + 11 + id))"; done
  wait_fastdht_mesh "$((base + 11))" "$((base + 12))" "$((base + 13))"
  # Ready when a SET goes through at every node's range (with replicas, after the Raft leader grants the leases).
  local i ok
  for i in $(seq 1 300); do
    ok=0
    for id in 0 1 2; do redis-cli -c -p "$((base + 11 + id))" set "ready:$id" 1 2>/dev/null | grep -q OK && ok=$((ok + 1)); done
    if ((ok == 3)); then
      log "cluster $s (--socket-threads ${VALUE[$s]}, replicas $replicas): $(grep -ho 'Socket event threads: .*' "$WORK/$s-r$replicas-0.log" | head -1)"
      return 0
    fi
    sleep 0.2
  done
  echo "the cluster $s (replicas $replicas) did not take writes (logs in $WORK)" >&2; exit 1
}
stop_all() { local p; for p in "${PIDS[@]}"; do stop_pid "$p"; done; }

part_single() {
  local t p n out s name
  for t in set get; do
    for p in 1 16; do
      n=$N_SINGLE; ((p == 16)) && n=$((N_SINGLE * 3))
      log "single node, $t -P $p: cpu-per-request-ab.sh, $RUNS rounds"
      out=$(PORT_BASE=$PORT_BASE T=$t P=$p N=$n C=$C D=$D R=$R RUNS=$RUNS bash "$ROOT/benchmarks/cpu-per-request-ab.sh" \
        "A=$NODE_DIR@FASTDHT_NODE_SOCKETTHREADS=$A" "B=$NODE_DIR@FASTDHT_NODE_SOCKETTHREADS=$B" 2>&1) \
        || { echo "cpu-per-request-ab.sh failed: $out" >&2; exit 1; }
      echo "$out" | grep -E '^(round|load)' >&2
      # "round R NAME RPS req/s server US us/req client ..."
      for name in A B redis; do
        s=$name; [[ $name == redis ]] && s=R
        add "1 node $t -P $p req/s" "$s" $(awk -v n="$name" '$1 == "round" && $3 == n { print $4 }' <<<"$out")
        add "1 node $t -P $p server CPU us/req" "$s" $(awk -v n="$name" '$1 == "round" && $3 == n { print $7 }' <<<"$out")
      done
    done
  done
}

part_durable() {
  local p n out name
  for p in 1 16; do
    n=$N_SINGLE; ((p == 16)) && n=$((N_SINGLE * 3))
    rm -rf "$WORK/data-A" "$WORK/data-B"
    log "single node, --data-dir --fsync always, set -P $p: cpu-per-request-ab.sh, $RUNS rounds"
    out=$(PORT_BASE=$PORT_BASE T=set P=$p N=$n C=$C D=$D R=$R RUNS=$RUNS REDIS=0 bash "$ROOT/benchmarks/cpu-per-request-ab.sh" \
      "A=$NODE_DIR@FASTDHT_NODE_SOCKETTHREADS=$A FASTDHT_NODE_DATADIR=$WORK/data-A FASTDHT_NODE_FSYNC=always" \
      "B=$NODE_DIR@FASTDHT_NODE_SOCKETTHREADS=$B FASTDHT_NODE_DATADIR=$WORK/data-B FASTDHT_NODE_FSYNC=always" 2>&1) \
      || { echo "cpu-per-request-ab.sh failed: $out" >&2; exit 1; }
    echo "$out" | grep -E '^(round|load)' >&2
    for name in A B; do
      add "1 node --fsync always set -P $p req/s" "$name" $(awk -v n="$name" '$1 == "round" && $3 == n { print $4 }' <<<"$out")
      add "1 node --fsync always set -P $p server CPU us/req" "$name" $(awk -v n="$name" '$1 == "round" && $3 == n { print $7 }' <<<"$out")
    done
  done
}

part_failover() {
  local run s out rounds
  for ((run = 0; run < RUNS; run++)); do
    for s in $(order_of "$run"); do
      log "failover, run $((run + 1)), --socket-threads ${VALUE[$s]}: failover-time.sh, $FAILOVER_ROUNDS kills"
      # A run that fails (a probe that times out, a cluster that never gets its replicas in sync) is counted against its
      # setting and the A/B goes on: it is a finding, not a reason to lose the other figures.
      if ! out=$(FASTDHT_NODE_SOCKETTHREADS=${VALUE[$s]} ROUNDS=$FAILOVER_ROUNDS WRITERS=$WRITERS SKIP_BUILD=1 \
          PORT_BASE=$((PORT_BASE + 100)) WORK="$WORK/failover-$s-$run" bash "$ROOT/benchmarks/failover-time.sh" 2>&1); then
        log "  failover-time.sh failed (logs in $WORK/failover-$s-$run): $(tail -2 <<<"$out" | tr '\n' ' ')"
        FAILED[$s]=$((FAILED[$s] + 1))
        continue
      fi
      rounds=$(sed -n 's/^rounds (ms): //p' <<<"$out")
      log "  $(grep '^median' <<<"$out")  rounds: $rounds"
      add "failover ms (every kill)" "$s" $rounds
    done
  done
}

measure_set() { # SETTING SEED_PORT DEPTH ROW_PREFIX
  local out set
  out=$(timeout $((SECONDS_PER_RUN + 60)) dotnet "$BENCH_DLL" resp-set --seed "127.0.0.1:$2" --connections "$C" --pipeline "$3" \
        --seconds "$SECONDS_PER_RUN" --value-size "$D" 2>&1) || { echo "resp-set failed ($1, P=$3): $out" >&2; exit 1; }
  set=$(sed -n 's/^set_per_sec=\([0-9]*\)$/\1/p' <<<"$out")
  [[ -n $set ]] || { echo "no figure ($1, P=$3): $out" >&2; exit 1; }
  log "  $4 -P $3, --socket-threads ${VALUE[$1]}: $set SET/s"
  add "$4 SET -P $3 SET/s" "$1" "$set"
}

part_replicas() {
  local -A base=([A]=$((PORT_BASE + 200)) [B]=$((PORT_BASE + 220)))
  local run p s
  start_cluster A "${base[A]}" 1; start_cluster B "${base[B]}" 1
  for ((run = 0; run < RUNS; run++)); do
    for p in 1 16; do
      for s in $(order_of "$run"); do measure_set "$s" "$((base[$s] + 11))" "$p" "3 nodes --replicas 1"; done
    done
  done
  stop_all
}

part_cluster() {
  local -A base=([A]=$((PORT_BASE + 300)) [B]=$((PORT_BASE + 320)))
  local run p s out set get
  start_cluster A "${base[A]}" 0; start_cluster B "${base[B]}" 0
  for ((run = 0; run < RUNS; run++)); do
    for p in 1 16; do
      for s in $(order_of "$run"); do
        out=$(timeout 600 redis-benchmark --cluster -h 127.0.0.1 -p "$((base[$s] + 11))" -t set,get -n "$N_CLUSTER" -r "$R" -c "$C" \
              -d "$D" -P "$p" -q 2>&1 | tr '\r' '\n') || { echo "redis-benchmark failed ($s P=$p): $(tail -3 <<<"$out")" >&2; exit 1; }
        set=$(awk '/^SET: [0-9.]+ requests per second/ {print $2}' <<<"$out" | tail -1)
        get=$(awk '/^GET: [0-9.]+ requests per second/ {print $2}' <<<"$out" | tail -1)
        [[ -n $set && -n $get ]] || { echo "could not parse redis-benchmark output ($s P=$p): $(tail -3 <<<"$out")" >&2; exit 1; }
        log "  3 nodes -P $p, --socket-threads ${VALUE[$s]}: SET $set GET $get"
        add "3 nodes SET -P $p req/s" "$s" "$set"; add "3 nodes GET -P $p req/s" "$s" "$get"
      done
    done
  done
  stop_all
}

declare -A LOADS
for part in $PARTS; do
  start_load=$(loadavg)
  case $part in
    single) part_single ;; durable) part_durable ;; failover) part_failover ;; replicas) part_replicas ;; cluster) part_cluster ;;
    *) echo "unknown part '$part' (known: single durable failover replicas cluster)" >&2; exit 2 ;;
  esac
  LOADS[$part]="$start_load -> $(loadavg)"
done

{
  echo "$(date -u +%FT%TZ), $(nproc) cores, dotnet $(dotnet --version), $(git -C "$ROOT" rev-parse --short HEAD);"
  echo "A = --socket-threads $A, B = --socket-threads $B; $RUNS alternating rounds per part; medians (failover: of every kill, and the worst)."
  for part in $PARTS; do echo "Load average, $part: ${LOADS[$part]}."; done
  [[ " $PARTS " == *" failover "* ]] && echo "failover-time.sh runs that failed: A ${FAILED[A]}, B ${FAILED[B]} (of $RUNS each)."
  echo
  echo "| measure | A ($A) | B ($B) | B / A | Redis |"
  echo "|---|---:|---:|---:|---:|"
  for row in "${ROWS[@]}"; do
    a=$(printf '%s' "${SAMPLES["$row|A"]:-}" | median); b=$(printf '%s' "${SAMPLES["$row|B"]:-}" | median)
    r=$(printf '%s' "${SAMPLES["$row|R"]:-}" | median); [[ $r == NA ]] && r=""
    echo "| $row | $a | $b | $(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "NA" }') | $r |"
    if [[ $row == failover* ]]; then
      wa=$(printf '%s' "${SAMPLES["$row|A"]}" | sort -g | tail -1); wb=$(printf '%s' "${SAMPLES["$row|B"]}" | sort -g | tail -1)
      echo "| failover ms, worst kill | $wa | $wb | $(awk -v a="$wa" -v b="$wb" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "NA" }') | |"
    fi
  done
} | tee "$WORK/table.md"
