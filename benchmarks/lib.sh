#!/usr/bin/env bash
# What the benchmark scripts share: a timestamped log, the PIDs they started, and stopping those (and only those)
# when the script ends, however it ends. Source it after `set -euo pipefail`: `source "$ROOT/benchmarks/lib.sh"`.

PIDS=()
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

stop_pid() {      # graceful stop of one of *our* PIDs, SIGKILL after 10 s
  local pid=$1 i keep=() q
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  for q in "${PIDS[@]}"; do [[ $q == "$pid" ]] || keep+=("$q"); done
  PIDS=("${keep[@]}")
}
build_release() { # PROJECT... (paths from $ROOT): dotnet build -c Release each, quietly; the log's tail on failure
  local p
  for p in "$@"; do
    dotnet build -c Release "$ROOT/$p" -v quiet -nologo >"$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log" >&2; exit 1; }
  done
}
find_garnet() { # sets GARNET: garnet-server on PATH or in ~/.dotnet/tools, else installed as a dotnet tool into $WORK/garnet
  GARNET=$(command -v garnet-server || true)
  [[ -z $GARNET && -x $HOME/.dotnet/tools/garnet-server ]] && GARNET=$HOME/.dotnet/tools/garnet-server
  if [[ -z $GARNET ]]; then
    log "installing garnet-server into $WORK/garnet"
    dotnet tool install --tool-path "$WORK/garnet" garnet-server ${GARNET_VERSION:+--version "$GARNET_VERSION"} >"$WORK/garnet-install.log" 2>&1 \
      || { tail -5 "$WORK/garnet-install.log" >&2; exit 1; }
    GARNET=$WORK/garnet/garnet-server
  fi
}

wait_fastdht_mesh() { # RESP_PORT...: until every node's CLUSTER SLOTS lists all of them (they learn each other's RESP
  # addresses as the mesh forms); exits the script after 30 s
  local i port ok
  for i in $(seq 1 300); do
    ok=0
    for port in "$@"; do
      [[ $(redis-cli -p "$port" cluster slots 2>/dev/null | grep -c '^127.0.0.1$') -ge $# ]] && ok=$((ok + 1))
    done
    ((ok == $#)) && return 0
    sleep 0.1
  done
  echo "the FastDht nodes did not all see each other (logs in ${WORK:-?})" >&2
  exit 1
}

ab_alternate() { # PORT_A PORT_B: redis-benchmark SET/GET alternating between two RESP servers A and B, RUNS rounds per
  # depth in DEPTHS (the order flips each round, so machine load hits both alike); prints each round, then the medians
  # and B/A. Env: N C DEPTHS RUNS.
  local -A port=([A]=$1 [B]=$2)
  local out P r s order line op a b
  out=$(mktemp /tmp/ab-alternate.XXXXXX)
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  for P in $DEPTHS; do
    for r in $(seq 1 "$RUNS"); do
      order="A B"; [ $((r % 2)) -eq 0 ] && order="B A"
      for s in $order; do
        line=$(timeout 300 redis-benchmark -p "${port[$s]}" -t set,get -n "$N" -r 100000 -c "$C" -d 3 -P "$P" -q 2>/dev/null \
          | tr '\r' '\n' | grep -E '^(SET|GET): [0-9]' | awk '{printf "%s %s ", $1, $2}')
        echo "P=$P run=$r $s $line" | tee -a "$out"
      done
    done
  done
  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  for P in $DEPTHS; do
    for op in SET GET; do
      a=$(grep "^P=$P " "$out" | awk -v s=A -v op="$op:" '$3==s {for(i=4;i<NF;i++) if($i==op) print $(i+1)}' | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
      b=$(grep "^P=$P " "$out" | awk -v s=B -v op="$op:" '$3==s {for(i=4;i<NF;i++) if($i==op) print $(i+1)}' | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
      awk -v P="$P" -v op="$op" -v a="$a" -v b="$b" 'BEGIN {printf "median -P %s %s: A %.0f  B %.0f  B/A %.2f\n", P, op, a, b, b / a}'
    done
  done
  rm -f "$out"
}

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
