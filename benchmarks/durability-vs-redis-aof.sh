#!/usr/bin/env bash
# FastDht with its write-ahead log against Redis with its append-only file, same client, same machine, same run.
#
#   For each policy (memory only; always; everysec; no): one fastdht-node with --resp (--data-dir and --fsync POLICY, or
#   no data directory) and one redis-server (--appendonly yes --appendfsync POLICY, or no persistence), both on
#   loopback; redis-benchmark -t set -d 16 -r R -c C at -P 1 (-n N_P1) and -P 16 (-n N_P16), RUNS runs each,
#   alternating FastDht and Redis run by run; each cell is the median. Before a policy's measured runs each server takes
#   one untimed warm-up run at -P 16 and one at -P 1 (WARMUP_N SETs each): a fresh fastdht-node still runs part of its
#   request path as tier-0 JIT code during its first seconds (first runs 10-20% slower than the next, seen in the ninth
#   session), which is start-up cost, not the steady state a long-running server is measured in. 0 turns it off.
#   Write amplification: after a policy's runs, FastDht writes one snapshot (SAVE) and the bytes its log appended
#   (INFO persistence fastdht_log_appended) plus the snapshot's size are divided by the user bytes (SETs x (16-byte key
#   + 16-byte value)); Redis's the same with its append-only files' size (appendonlydir), no rewrite forced.
#   Prints markdown (the tables docs/benchmarks.md takes as they are, with the machine, the command and the load
#   average during each cell) on stdout; the same is saved to $WORK/results.md. Progress goes to stderr.
#
# Every server is started by this script, bound to 127.0.0.1, and stopped by PID from an EXIT trap (also on failure
# or Ctrl-C). Every redis-benchmark run is bounded by `timeout`. The numbers mean something only on a quiet machine.
#
# Env knobs: N_P1 (200000) N_P16 (1000000) R (100000) C (50) RUNS (3) WARMUP_N (200000) BENCH_TIMEOUT (600 s per run)
#            PORT_BASE (17300) WORK (a new temp dir) SKIP_BUILD (0) POLICIES ("none always everysec no")
# Smoke test:  N_P1=2000 N_P16=8000 RUNS=1 benchmarks/durability-vs-redis-aof.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t durability-vs-redis-aof.XXXX)}
N_P1=${N_P1:-200000}
N_P16=${N_P16:-1000000}
R=${R:-100000}
C=${C:-50}
RUNS=${RUNS:-3}
WARMUP_N=${WARMUP_N:-200000}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
PORT_BASE=${PORT_BASE:-17300}
SKIP_BUILD=${SKIP_BUILD:-0}
POLICIES=${POLICIES:-"none always everysec no"}

RESULTS="$WORK/results.md"
source "$ROOT/benchmarks/lib.sh"

for tool in redis-server redis-cli redis-benchmark dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: apt-get install redis-server redis-tools)" >&2; exit 1; }
done
mkdir -p "$WORK"

NODE_DLL="$ROOT/tools/fastdht-node/bin/Release/net10.0/fastdht-node.dll"
if [[ $SKIP_BUILD != 1 ]]; then
  log "building fastdht-node (Release)"
  dotnet build -c Release "$ROOT/tools/fastdht-node/fastdht-node.csproj" -v quiet -nologo >"$WORK/build.log" 2>&1 \
    || { tail -20 "$WORK/build.log" >&2; exit 1; }
fi

responds() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }
wait_up() {
  local port=$1 what=$2 i
  for i in $(seq 1 300); do responds "$port" && return 0; sleep 0.1; done
  echo "$what on port $port did not come up (logs in $WORK)" >&2; exit 1
}
refuse_busy() { if responds "$1"; then echo "port $1 already serves something: refusing to touch it" >&2; exit 1; fi; }

LAST_PID=
start_fastdht() {  # start_fastdht POLICY RESP_PORT NATIVE_PORT
  local policy=$1 resp=$2 native=$3 dir="$WORK/fastdht-$1" persist=()
  refuse_busy "$resp"
  rm -rf "$dir"; mkdir -p "$dir"
  [[ $policy != none ]] && persist=(--data-dir "$dir/data" --fsync "$policy")
  dotnet "$NODE_DLL" --members "0=127.0.0.1:$native" --node-id 0 --resp "127.0.0.1:$resp" --log-level warning "${persist[@]}" \
    </dev/null >"$dir/node.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_up "$resp" "fastdht-node"
  # PING answers while the node loads (it binds first); a new data directory's first log segment is written with
  # zeros meanwhile (seconds on a busy disk): SETs would get -LOADING until it is done.
  local i
  for i in $(seq 1 600); do [[ $(info_field "$resp" loading) == 0 ]] && return 0; sleep 0.1; done
  echo "fastdht-node on port $resp is still loading after 60 s (logs in $dir)" >&2; exit 1
}
start_redis() {    # start_redis POLICY PORT
  local policy=$1 port=$2 dir="$WORK/redis-$1" persist=(--appendonly no)
  refuse_busy "$port"
  rm -rf "$dir"; mkdir -p "$dir"
  [[ $policy != none ]] && persist=(--appendonly yes --appendfsync "$policy")
  redis-server --port "$port" --bind 127.0.0.1 --save '' "${persist[@]}" --dir "$dir" \
    --logfile "$dir/redis.log" --daemonize no </dev/null >"$dir/stdout.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_up "$port" "redis-server"
}

median() { sort -g | awk '{a[NR]=$1} END{ if (NR==0) {print "NA"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.0f\n", (a[NR/2]+a[NR/2+1])/2 }'; }

# one_run NAME PORT REQUESTS PIPELINE -> prints SET ops/sec
one_run() {
  local name=$1 port=$2 n=$3 p=$4 out set
  out=$(timeout "$BENCH_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -t set -d 16 -n "$n" -r "$R" -c "$C" -P "$p" -q 2>&1 | tr '\r' '\n') \
    || { echo "redis-benchmark failed or timed out ($name P=$p):" >&2; echo "$out" | tail -5 >&2; exit 1; }
  set=$(awk '/^SET: [0-9.]+ requests per second/{print $2}' <<<"$out" | tail -1)
  [[ -n $set ]] || { echo "could not parse redis-benchmark output ($name P=$p):" >&2; echo "$out" | tail -5 >&2; exit 1; }
  grep -qE 'ERR|[Ee]rror|MISCONF|LOADING' <<<"$out" && log "WARNING: errors in the output of $name P=$p"
  echo "$set"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "NA" }'; }
# Bytes the process caused to be sent to the storage layer (counted per page when it is dirtied, so a page appended to
# again after an fsync cleaned it counts again): the physical side of write amplification.
write_bytes() { awk '/^write_bytes:/{print $2}' "/proc/$1/io" 2>/dev/null || echo 0; }
info_field() { redis-cli -p "$1" info persistence | tr -d '\r' | awk -F: -v f="$2" '$1 == f {print $2}'; }

load1() { cut -d' ' -f1 /proc/loadavg; }
thousands() { printf '%.0f' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
policy_name() { case $1 in none) echo "memory only (no persistence)";; *) echo "\`$1\`";; esac; }

{
  echo "FastDht with its write-ahead log against Redis with its append-only file, same client, same run"
  echo "(\`benchmarks/durability-vs-redis-aof.sh\`, POLICIES=\"$POLICIES\" RUNS=$RUNS N_P1=$N_P1 N_P16=$N_P16 R=$R C=$C WARMUP_N=$WARMUP_N)."
  echo "$(date -u +%FT%TZ); host $(hostname), nproc $(nproc), $(lscpu 2>/dev/null | awk -F: '/Model name/{gsub(/^ +/, "", $2); print $2; exit}');"
  echo "redis-server $(redis-server --version | awk '{print $3}' | sed 's/v=//'), dotnet $(dotnet --version); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Client: \`redis-benchmark -t set -d 16 -r $R -c $C -P 1|16\` (-n $N_P1 at -P 1, $N_P16 at -P 16); each cell the median of"
  echo "$RUNS runs (after an untimed warm-up of $WARMUP_N SETs per server at -P 16 and at -P 1), FastDht and Redis alternating run by run. FastDht: one \`fastdht-node --resp\` with \`--data-dir\` and"
  echo "\`--fsync POLICY\`; Redis: \`--appendonly yes --appendfsync POLICY\` (memory only: no data directory / \`--appendonly no\`)."
  echo
  echo "| policy | depth | FastDht SET/s | Redis SET/s | FastDht / Redis | load average (1 min) over the cell |"
  echo "|---|---:|---:|---:|---:|---|"
} | tee "$RESULTS"

FD_NATIVE=$PORT_BASE
FD_RESP=$((PORT_BASE + 10))
REDIS_PORT=$((PORT_BASE + 20))
WA_LINES=()
for policy in $POLICIES; do
  log "policy $policy: FastDht RESP :$FD_RESP, Redis :$REDIS_PORT"
  start_fastdht "$policy" "$FD_RESP" "$FD_NATIVE"; fd_pid=$LAST_PID
  start_redis "$policy" "$REDIS_PORT"; redis_pid=$LAST_PID
  sets=0
  if ((WARMUP_N > 0)); then
    for p in 16 1; do
      one_run "fastdht-$policy" "$FD_RESP" "$WARMUP_N" "$p" >/dev/null
      one_run "redis-$policy" "$REDIS_PORT" "$WARMUP_N" "$p" >/dev/null
      sets=$((sets + WARMUP_N))
    done
    log "policy $policy: warm-up done ($WARMUP_N SETs per server at -P 16 and at -P 1, untimed)"
  fi
  for p in 1 16; do
    n=$N_P1; [[ $p == 16 ]] && n=$N_P16
    fds=() rds=()
    load_before=$(load1)
    for ((i = 1; i <= RUNS; i++)); do
      fds+=("$(one_run "fastdht-$policy" "$FD_RESP" "$n" "$p")")
      rds+=("$(one_run "redis-$policy" "$REDIS_PORT" "$n" "$p")")
      log "$policy P=$p run $i: FastDht ${fds[-1]}  Redis ${rds[-1]}"
      sets=$((sets + n))
    done
    fd=$(printf '%s\n' "${fds[@]}" | median)
    rd=$(printf '%s\n' "${rds[@]}" | median)
    printf '| %s | `-P %s` | %s | %s | %s | %s -> %s |\n' "$(policy_name "$policy")" "$p" "$(thousands "$fd")" "$(thousands "$rd")" "$(ratio "$fd" "$rd")" "$load_before" "$(load1)" | tee -a "$RESULTS"
  done
  if [[ $policy != none ]]; then
    user=$((sets * 32))
    appended=$(info_field "$FD_RESP" fastdht_log_appended)
    redis-cli -p "$FD_RESP" save >/dev/null
    snap=$(find "$WORK/fastdht-$policy/data" -name '*.snap' -printf '%s\n' | sort -n | tail -1)
    aof=$(du -sb "$WORK/redis-$policy/appendonlydir" | cut -f1)
    fd_io=$(write_bytes "$fd_pid")
    rd_io=$(write_bytes "$redis_pid")
    WA_LINES+=("$(awk -v p="$(policy_name "$policy")" -v s="$sets" -v u="$user" -v a="$appended" -v n="${snap:-0}" -v r="$aof" -v fi="$fd_io" -v ri="$rd_io" 'BEGIN{
      printf "| %s | %d | %d | %d (%.2f) | %d | %.2f | %d (%.2f) | %d (%.2f) | %d (%.2f) |", p, s, u, a, a / u, n, (a + n) / u, fi, fi / u, r, r / u, ri, ri / u }')")
  fi
  stop_pid "$fd_pid"
  stop_pid "$redis_pid"
done
if ((${#WA_LINES[@]} > 0)); then
  {
    echo
    echo "Write amplification: bytes written per byte of user data (every SET is a 16-byte key and a 16-byte value; the keys"
    echo "repeat, \`-r $R\`, so the snapshot holds at most $R keys while the log holds every SET). Logical: what the log"
    echo "appended (INFO persistence fastdht_log_appended), and one SAVE's snapshot. Physical: the process's write_bytes"
    echo "(/proc/PID/io: bytes sent to the storage layer, counted per 4 KiB page each time it is dirtied, so small appends"
    echo "fsynced one by one count a page each). Redis: its appendonlydir at the end (after the automatic rewrites that"
    echo "compact it, auto-aof-rewrite-percentage 100) and its main process's write_bytes (the rewrite child's not included)."
    echo
    echo "| policy | SETs | user bytes | FastDht log bytes (/ user) | snapshot bytes (one SAVE) | (log + snapshot) / user | FastDht write_bytes (/ user) | Redis appendonlydir bytes (/ user) | Redis write_bytes (/ user) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for line in "${WA_LINES[@]}"; do echo "$line"; done
  } | tee -a "$RESULTS"
fi
log "results in $RESULTS"
