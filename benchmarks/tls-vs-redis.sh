#!/usr/bin/env bash
# FastDht and Redis, both with TLS on their RESP port, same client, same machine, same run; then both without TLS for
# reference. A throwaway authority and an ECDSA P-256 certificate are made with openssl in the work folder; persistence
# is off on both (redis-server --save "" --appendonly no; fastdht-node without a data directory).
#
#   Throughput: redis-benchmark [--tls --cacert ca.crt] -t set,get -r R -c C at -P 1 (-n N_P1) and -P 16 (-n N_P16),
#   RUNS runs per server and depth, the servers alternating run by run; each cell is the median (requests per second).
#   Counts (COUNT=1): then a SECS-second window of GET at -c C -P 1 per server and transport, redis-benchmark looping,
#   `perf stat` on the server counting CPU time and syscalls (reads, writes, epoll waits) per request: what TLS adds
#   per request to each server, which timing on a loaded machine cannot show.
#
# Prints markdown (the tables docs/benchmarks.md takes) on stdout and to $WORK/results.md; progress on stderr. Every
# server is started here, bound to 127.0.0.1, and stopped by PID on exit. Numbers mean something on a quiet machine.
#
# Env: N_P1 (100000) N_P16 (500000) R (100000) C (50) RUNS (3) PLAIN (1: also without TLS) COUNT (1) SECS (5)
#      PORT_BASE (17800) WORK (a new temp dir) SKIP_BUILD (0) NODE_DIR (the folder of fastdht-node.dll; default this
#      tree's Release build, which is built first unless SKIP_BUILD=1 or NODE_DIR is given)
# Smoke test:  N_P1=2000 N_P16=8000 RUNS=1 SECS=2 benchmarks/tls-vs-redis.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t tls-vs-redis.XXXX)}
N_P1=${N_P1:-100000}; N_P16=${N_P16:-500000}; R=${R:-100000}; C=${C:-50}; RUNS=${RUNS:-3}; PLAIN=${PLAIN:-1}
COUNT=${COUNT:-1}; SECS=${SECS:-5}; PORT_BASE=${PORT_BASE:-17800}; SKIP_BUILD=${SKIP_BUILD:-0}
RESULTS="$WORK/results.md"
source "$ROOT/benchmarks/lib.sh"
for tool in redis-server redis-cli redis-benchmark openssl dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: apt-get install redis-server redis-tools openssl)" >&2; exit 1; }
done
redis-benchmark --help 2>&1 | grep -q -- --tls || { echo "this redis-benchmark was built without TLS" >&2; exit 1; }
[[ $COUNT == 1 ]] && ! command -v perf >/dev/null && { echo "perf is not installed (COUNT=0 skips the counts)" >&2; exit 1; }
mkdir -p "$WORK"

NODE_DLL="${NODE_DIR:-$ROOT/tools/fastdht-node/bin/Release/net10.0}/fastdht-node.dll"
if [[ $SKIP_BUILD != 1 && -z ${NODE_DIR:-} ]]; then
  log "building fastdht-node (Release)"
  dotnet build -c Release "$ROOT/tools/fastdht-node/fastdht-node.csproj" -v quiet -nologo >"$WORK/build.log" 2>&1 \
    || { tail -20 "$WORK/build.log" >&2; exit 1; }
fi

log "making a throwaway authority and a certificate for 127.0.0.1 in $WORK"
(
  cd "$WORK"
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key
  openssl req -x509 -new -key ca.key -days 2 -subj "/CN=fastdht-bench-ca" -out ca.crt
  openssl ecparam -name prime256v1 -genkey -noout -out node.key
  openssl req -new -key node.key -subj "/CN=127.0.0.1" -out node.csr
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' >node.ext
  openssl x509 -req -in node.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile node.ext -out node.crt
) >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log" >&2; exit 1; }

# The four servers: FastDht and Redis, each with TLS and (PLAIN=1) without.
FD_TLS=$PORT_BASE; FD_PLAIN=$((PORT_BASE + 1)); RD_TLS=$((PORT_BASE + 2)); RD_PLAIN=$((PORT_BASE + 3))
declare -A PID
tls_args=(--tls --cacert "$WORK/ca.crt")
cli() { local port=$1; shift; if [[ $port == "$FD_TLS" || $port == "$RD_TLS" ]]; then redis-cli "${tls_args[@]}" -p "$port" "$@"; else redis-cli -p "$port" "$@"; fi; }
wait_up() { local i; for i in $(seq 1 300); do cli "$1" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done; echo "$2 on $1 did not come up (logs in $WORK)" >&2; exit 1; }
start_fastdht() { # PORT NATIVE_PORT [TLS]
  local extra=()
  [[ ${3:-} == tls ]] && extra=(--tls-cert-file "$WORK/node.crt" --tls-key-file "$WORK/node.key" --tls-ca-file "$WORK/ca.crt")
  dotnet "$NODE_DLL" --members "0=127.0.0.1:$2" --node-id 0 --resp "127.0.0.1:$1" --log-level warning "${extra[@]}" \
    </dev/null >"$WORK/fastdht-$1.log" 2>&1 &
  PID[$1]=$!; PIDS+=("$!"); wait_up "$1" fastdht-node
}
start_redis() { # PORT [TLS]
  local listen=(--port "$1")
  [[ ${2:-} == tls ]] && listen=(--port 0 --tls-port "$1" --tls-cert-file "$WORK/node.crt" --tls-key-file "$WORK/node.key" --tls-ca-cert-file "$WORK/ca.crt" --tls-auth-clients no)
  redis-server "${listen[@]}" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" --logfile "$WORK/redis-$1.log" \
    --daemonize no </dev/null >/dev/null 2>&1 &
  PID[$1]=$!; PIDS+=("$!"); wait_up "$1" redis-server
}
start_fastdht "$FD_TLS" $((PORT_BASE + 10)) tls
start_redis "$RD_TLS" tls
SERVERS=("FastDht, TLS:$FD_TLS" "Redis, TLS:$RD_TLS")
if [[ $PLAIN == 1 ]]; then
  start_fastdht "$FD_PLAIN" $((PORT_BASE + 11))
  start_redis "$RD_PLAIN"
  SERVERS+=("FastDht, plain TCP:$FD_PLAIN" "Redis, plain TCP:$RD_PLAIN")
fi

bench() { # PORT ARGS... -> redis-benchmark output, CRs as newlines
  local port=$1; shift
  local tls=(); [[ $port == "$FD_TLS" || $port == "$RD_TLS" ]] && tls=("${tls_args[@]}")
  timeout 600 redis-benchmark "${tls[@]}" -h 127.0.0.1 -p "$port" "$@" 2>&1 | tr '\r' '\n'
}
rate() { awk -v t="$1" '$1 == t":" && $3 == "requests" {v = $2} END {print v}'; }
median() { sort -g | awk '{a[NR]=$1} END{ if (NR==0) {print "NA"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.0f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
thousands() { [[ $1 == NA ]] && { echo NA; return; }; printf '%.0f' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

for s in "${SERVERS[@]}"; do bench "${s##*:}" -t set,get -n 20000 -r "$R" -c "$C" -P 1 -q >/dev/null; done # warm-up
declare -A CELLS
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 1; i <= RUNS; i++)); do
  for p in 16 1; do
    n=$N_P1; [[ $p == 16 ]] && n=$N_P16
    for s in "${SERVERS[@]}"; do
      out=$(bench "${s##*:}" -t set,get -n "$n" -r "$R" -c "$C" -P "$p" -q)
      CELLS["$s|SET|$p"]+="$(rate SET <<<"$out") "; CELLS["$s|GET|$p"]+="$(rate GET <<<"$out") "
      log "run $i -P $p ${s%%:*}: SET $(rate SET <<<"$out") GET $(rate GET <<<"$out")"
    done
  done
done
{
  echo "FastDht and Redis with TLS (and without), same client, same run (\`benchmarks/tls-vs-redis.sh\`, RUNS=$RUNS N_P1=$N_P1 N_P16=$N_P16 R=$R C=$C; FastDht: $NODE_DLL)."
  echo "$(date -u +%FT%TZ); nproc $(nproc), $(lscpu 2>/dev/null | awk -F: '/Model name/{gsub(/^ +/, "", $2); print $2; exit}'); redis-server $(redis-server --version | awk '{print $3}' | sed 's/v=//'), dotnet $(dotnet --version);"
  echo "load average at the start $load_start, at the end $(cut -d' ' -f1-3 /proc/loadavg). Requests per second, median of $RUNS runs."
  echo
  echo "| server | SET -P 16 | GET -P 16 | SET -P 1 | GET -P 1 |"
  echo "|---|---:|---:|---:|---:|"
  for s in "${SERVERS[@]}"; do
    row="| ${s%%:*} |"
    for cell in "SET|16" "GET|16" "SET|1" "GET|1"; do
      row+=" $(thousands "$(tr ' ' '\n' <<<"${CELLS["$s|${cell%%|*}|${cell##*|}"]}" | grep . | median)") |"
    done
    echo "$row"
  done
  echo
  echo "FastDht / Redis, both with TLS: SET -P 16 $(awk -v a="$(tr ' ' '\n' <<<"${CELLS["FastDht, TLS:$FD_TLS|SET|16"]}" | grep . | median)" -v b="$(tr ' ' '\n' <<<"${CELLS["Redis, TLS:$RD_TLS|SET|16"]}" | grep . | median)" 'BEGIN{printf "%.2f", a/b}'),"\
" GET -P 16 $(awk -v a="$(tr ' ' '\n' <<<"${CELLS["FastDht, TLS:$FD_TLS|GET|16"]}" | grep . | median)" -v b="$(tr ' ' '\n' <<<"${CELLS["Redis, TLS:$RD_TLS|GET|16"]}" | grep . | median)" 'BEGIN{printf "%.2f", a/b}'),"\
" SET -P 1 $(awk -v a="$(tr ' ' '\n' <<<"${CELLS["FastDht, TLS:$FD_TLS|SET|1"]}" | grep . | median)" -v b="$(tr ' ' '\n' <<<"${CELLS["Redis, TLS:$RD_TLS|SET|1"]}" | grep . | median)" 'BEGIN{printf "%.2f", a/b}'),"\
" GET -P 1 $(awk -v a="$(tr ' ' '\n' <<<"${CELLS["FastDht, TLS:$FD_TLS|GET|1"]}" | grep . | median)" -v b="$(tr ' ' '\n' <<<"${CELLS["Redis, TLS:$RD_TLS|GET|1"]}" | grep . | median)" 'BEGIN{printf "%.2f", a/b}')."
} | tee "$RESULTS"

if [[ $COUNT == 1 ]]; then
  EVENTS=task-clock,context-switches,syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmsg
  EVENTS+=,syscalls:sys_enter_write,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_epoll_wait
  count() { awk -v e="$1" '$2 == e || $3 == e {gsub(/,/, "", $1); print $1; found=1} END {if (!found) print 0}' "$2"; }
  {
    echo
    echo "Per request, GET at -c $C -P 1 over a ${SECS}-second window (perf stat on the server; requests from its INFO"
    echo "total_commands_processed): CPU microseconds, socket reads (read/recvfrom/recvmsg, including the ones that find"
    echo "nothing), socket writes (write/sendto/sendmsg), epoll waits, context switches."
    echo
    echo "| server | GET/s (window) | CPU us / request | reads / request | writes / request | epoll waits / request | context switches / request | load (1 min) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|"
  } | tee -a "$RESULTS"
  for s in "${SERVERS[@]}"; do
    port=${s##*:}
    tls=(); [[ $port == "$FD_TLS" || $port == "$RD_TLS" ]] && tls=("${tls_args[@]}")
    redis-benchmark "${tls[@]}" -h 127.0.0.1 -p "$port" -t get -r "$R" -c "$C" -P 1 -l -q >/dev/null 2>&1 & bp=$!; PIDS+=("$bp")
    sleep 2
    before=$(cli "$port" info stats | tr -d '\r' | awk -F: '$1 == "total_commands_processed" {print $2}')
    load=$(cut -d' ' -f1 /proc/loadavg)
    perf stat -e "$EVENTS" -p "${PID[$port]}" -o "$WORK/perf-$port.txt" -- sleep "$SECS"
    after=$(cli "$port" info stats | tr -d '\r' | awk -F: '$1 == "total_commands_processed" {print $2}')
    stop_pid "$bp"
    f="$WORK/perf-$port.txt"; n=$((after - before))
    reads=$(( $(count syscalls:sys_enter_read "$f") + $(count syscalls:sys_enter_recvfrom "$f") + $(count syscalls:sys_enter_recvmsg "$f") ))
    writes=$(( $(count syscalls:sys_enter_write "$f") + $(count syscalls:sys_enter_sendto "$f") + $(count syscalls:sys_enter_sendmsg "$f") ))
    awk -v s="${s%%:*}" -v n="$n" -v secs="$SECS" -v cpu="$(count task-clock "$f")" -v r="$reads" -v w="$writes" \
      -v e="$(count syscalls:sys_enter_epoll_wait "$f")" -v cs="$(count context-switches "$f")" -v load="$load" 'BEGIN{
      if (n <= 0) { printf "| %s | no requests counted | | | | | | %s |\n", s, load; exit }
      printf "| %s | %.0f | %.1f | %.2f | %.2f | %.2f | %.2f | %s |\n", s, n / secs, cpu * 1000 / n, r / n, w / n, e / n, cs / n, load }' | tee -a "$RESULTS"
  done
fi
log "results in $RESULTS"
