#!/usr/bin/env bash
# Where the write-ahead log's cost goes under redis-benchmark -t set (-c C -P P), counted rather than timed, so the
# figures mean something on a loaded machine: for each target, one server with the same fsync policy, a warm-up, then
# redis-benchmark -l (looping) while a SECS-second window is measured: `perf stat` counts the server's syscalls, context
# switches and CPU time, dotnet-counters (FastDht) its thread-pool work items, and the server's own INFO counts the SETs
# it ran (total_commands_processed) and, for FastDht, the replies its log held (fastdht_log_waits, _wake_batches).
#
#   TARGETS: FastDht builds (folders holding fastdht-node.dll) and/or the word `redis` (redis-server with
#   --appendonly yes --appendfsync POLICY). POLICY `none` means no persistence (no --data-dir / --appendonly no).
#
# Prints one markdown row per target:
#   SET/s (of this window: noise on a loaded machine); fsyncs per second and SETs per fsync (group commit: how many
#   records one fsync covers; Redis: one fdatasync per event-loop round); waits per wake (FastDht: replies held for an
#   fsync, divided by the times the flush thread handed finished waits on: how many connections one fsync answered);
#   thread-pool work items, context switches, futex calls and CPU microseconds per SET; sends per SET; FastDht: the CPU
#   microseconds of the log's flush thread per fsync (its write, fsync and the group commit's hold: a hold that spins
#   shows here); every system call, page faults (minor + major, /proc/PID/stat) and bytes the process sent to the disk
#   (write_bytes, /proc/PID/io: the segments' zeros included) per SET.
#
# Env: POLICY (always) SECS (10) C (50) P (1) R (100000) PORT_BASE (17701) WORK (new temp dir)
#      WARMUP_N (50000: SETs before the window; ~700000 puts a fresh log's first half-segment mark, where the next
#      segment is zeroed in the background, inside the window)
#      TOOLS (folder with dotnet-counters; installed there when absent, default /tmp/fastdht-perf-tools)
# Usage:   benchmarks/profile-durability.sh tools/fastdht-node/bin/Release/net10.0 redis
#          POLICY=none benchmarks/profile-durability.sh tools/fastdht-node/bin/Release/net10.0 redis
# A/B:     git archive main | tar -x -C /tmp/base && (cd /tmp/base && dotnet build -c Release tools/fastdht-node)
#          benchmarks/profile-durability.sh /tmp/base/tools/fastdht-node/bin/Release/net10.0 tools/fastdht-node/bin/Release/net10.0 redis
# Needs perf (linux-perf; run as root or with kernel.perf_event_paranoid <= 1 for the syscall tracepoints).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
(($# > 0)) || { sed -n '2,22p' "${BASH_SOURCE[0]}" >&2; exit 2; }
POLICY=${POLICY:-always}; SECS=${SECS:-10}; C=${C:-50}; P=${P:-1}; R=${R:-100000}; PORT_BASE=${PORT_BASE:-17701}
WARMUP_N=${WARMUP_N:-50000}
WORK=${WORK:-$(mktemp -d -t profile-durability.XXXX)}; TOOLS=${TOOLS:-/tmp/fastdht-perf-tools}
source "$ROOT/benchmarks/lib.sh"
for tool in perf redis-server redis-cli redis-benchmark dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
if [[ ! -x $TOOLS/dotnet-counters ]]; then
  log "installing dotnet-counters into $TOOLS"
  dotnet tool install --tool-path "$TOOLS" dotnet-counters >/dev/null
fi
mkdir -p "$WORK"
NATIVE=$PORT_BASE; RESP=$((PORT_BASE + 1))

up() { local i; for i in $(seq 1 300); do redis-cli -p "$RESP" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  # PING answers while FastDht loads (a new data directory's first segment is written with zeros meanwhile): wait it out.
  for i in $(seq 1 600); do [[ $(redis-cli -p "$RESP" info persistence 2>/dev/null | tr -d '\r' | awk -F: '$1 == "loading" {print $2}') == 0 ]] && return 0; sleep 0.1; done
  echo "no server serving on $RESP (logs in $WORK)" >&2; exit 1; }
info() { redis-cli -p "$RESP" info all | tr -d '\r' | awk -F: -v f="$1" '$1 == f {print $2}'; }
count() { awk -v e="$1" '$2 == e || $3 == e {gsub(/,/, "", $1); print $1; found=1} END {if (!found) print 0}' "$2"; }
# CPU time (clock ticks) of the server's threads named like $2 (/proc task stat: utime + stime, after the comm).
thread_ticks() {
  local t; for t in /proc/"$1"/task/*; do if [[ $(cat "$t/comm" 2>/dev/null) == "$2"* ]]; then sed 's/.*) //' "$t/stat"; fi; done |
    awk '{s += $12 + $13} END {print s + 0}'
}
# Minor + major page faults of the whole process so far (/proc/PID/stat fields 10 and 12).
faults() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $8 + $10}'; }
write_bytes() { awk '/^write_bytes:/{print $2}' "/proc/$1/io" 2>/dev/null || echo 0; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN{ if (b > 0) printf f, a / b; else print "-" }'; }

EVENTS=syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64,syscalls:sys_enter_write
EVENTS+=,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait
EVENTS+=,raw_syscalls:sys_enter,context-switches,task-clock

echo "redis-benchmark -t set -d 16 -r $R -c $C -P $P -l over a ${SECS}-second window, policy $POLICY; $(date -u +%FT%TZ), nproc $(nproc), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| server | SET/s (this run) | fsyncs/s | SETs per fsync | waits per wake | work items / SET | context switches / SET | futex / SET | CPU us / SET | sends / SET | flush thread CPU us / fsync | syscalls / SET | page faults / SET | disk bytes / SET | load (1 min) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for target in "$@"; do
  rm -rf "$WORK/data"; mkdir -p "$WORK/data"
  if [[ $target == redis ]]; then
    name=redis; persist=(--appendonly yes --appendfsync "$POLICY"); [[ $POLICY == none ]] && persist=(--appendonly no)
    redis-server --port "$RESP" --bind 127.0.0.1 --save '' "${persist[@]}" --dir "$WORK/data" --logfile "$WORK/redis.log" \
      </dev/null >/dev/null 2>&1 &
  else
    name="fastdht ($target)"; persist=(--data-dir "$WORK/data" --fsync "$POLICY"); [[ $POLICY == none ]] && persist=()
    dotnet "$target/fastdht-node.dll" --members "0=127.0.0.1:$NATIVE" --node-id 0 --resp "127.0.0.1:$RESP" --log-level warning \
      "${persist[@]}" </dev/null >"$WORK/node.log" 2>&1 &
  fi
  server=$!; PIDS+=("$server")
  up
  log "$name: warming up"
  redis-benchmark -p "$RESP" -t set -d 16 -r "$R" -c "$C" -P "$P" -n "$WARMUP_N" -q >/dev/null 2>&1
  # The measured window: redis-benchmark loops (-l) over it; the servers' own command count says how many SETs it held.
  redis-benchmark -p "$RESP" -t set -d 16 -r "$R" -c "$C" -P "$P" -l -q >/dev/null 2>&1 & bench=$!; PIDS+=("$bench")
  sleep 2
  before=(); for f in total_commands_processed fastdht_log_waits fastdht_log_wake_batches; do before+=("$(info "$f")"); done
  counters=
  if [[ $target != redis ]]; then
    rm -f "$WORK/counters.csv"
    "$TOOLS/dotnet-counters" collect -p "$server" --format csv -o "$WORK/counters.csv" --refresh-interval 1 \
      --duration "00:00:00:$(printf %02d "$SECS")" --counters 'System.Runtime[dotnet.thread_pool.work_item.count]' >/dev/null 2>&1 &
    counters=$!; PIDS+=("$counters")
  fi
  load=$(cut -d' ' -f1 /proc/loadavg)
  flush_before=$(thread_ticks "$server" "FastDht WAL")
  faults_before=$(faults "$server"); bytes_before=$(write_bytes "$server")
  perf stat -e "$EVENTS" -p "$server" -o "$WORK/perf.txt" -- sleep "$SECS"
  after=(); for f in total_commands_processed fastdht_log_waits fastdht_log_wake_batches; do after+=("$(info "$f")"); done
  flush_ticks=$(( $(thread_ticks "$server" "FastDht WAL") - flush_before ))
  faulted=$(( $(faults "$server") - faults_before )); written=$(( $(write_bytes "$server") - bytes_before ))
  stop_pid "$bench"
  items=-
  if [[ -n $counters ]]; then
    wait "$counters" 2>/dev/null || true
    items=$(awk -F, 'NR > 1 && $3 ~ /^dotnet.thread_pool.work_item.count/ {s += $5} END {printf "%.0f", s}' "$WORK/counters.csv")
  fi
  sets=$((after[0] - before[0]))
  rate=$(div "$sets" "$SECS" %.0f)
  waits=-
  [[ -n ${after[1]} && -n ${before[1]} ]] && waits=$(div $((after[1] - before[1])) $((after[2] - before[2])))
  fsyncs=$(( $(count syscalls:sys_enter_fsync "$WORK/perf.txt") + $(count syscalls:sys_enter_fdatasync "$WORK/perf.txt") ))
  sends=$(( $(count syscalls:sys_enter_sendto "$WORK/perf.txt") + $(count syscalls:sys_enter_sendmsg "$WORK/perf.txt") ))
  [[ $target == redis ]] && sends=$(count syscalls:sys_enter_write "$WORK/perf.txt") # Redis writes replies (and its AOF) with write(2)
  cpu_ms=$(count task-clock "$WORK/perf.txt"); switches=$(count context-switches "$WORK/perf.txt"); futex=$(count syscalls:sys_enter_futex "$WORK/perf.txt")
  flush=-
  [[ $target != redis && $fsyncs -gt 0 ]] && flush=$(div $((flush_ticks * 1000000 / $(getconf CLK_TCK))) "$fsyncs" %.1f)
  syscalls=$(count raw_syscalls:sys_enter "$WORK/perf.txt")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "${rate:-?}" "$(div "$fsyncs" "$SECS" %.0f)" \
    "$(div "$sets" "$fsyncs")" "$waits" "$(div "$items" "$sets")" "$(div "$switches" "$sets")" "$(div "$futex" "$sets")" \
    "$(div "$cpu_ms" "$sets" %.6f | awk '{ if ($1 == "-") print "-"; else printf "%.1f", $1 * 1000 }')" "$(div "$sends" "$sets")" "$flush" \
    "$(div "$syscalls" "$sets")" "$(div "$faulted" "$sets" %.3f)" "$(div "$written" "$sets" %.1f)" "$load"
  stop_pid "$server"
done
log "work files in $WORK"
