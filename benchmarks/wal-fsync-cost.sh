#!/usr/bin/env bash
# What an fsync of the write-ahead log's group commit costs on this disk, by how its segment file was made: growing
# (as the log writes today: each round extends the file, so the sync also commits the new size), fallocated (space
# reserved, extents still "unwritten": the first write into each converts it) and pre-zeroed (every block written
# once before use, as PostgreSQL fills its WAL segments): for each, fsync and fdatasync after every append of one
# round at -c 50 -P 1 (50 records of 49 bytes: 2,450 bytes).
#
# Env: N (2000 syncs per cell) ROUNDS (2) DIR (a new temp dir: put it on the data directory's file system)
# Usage: bash benchmarks/wal-fsync-cost.sh          Needs python3. Prints one markdown row per cell.
set -euo pipefail
N=${N:-2000}; ROUNDS=${ROUNDS:-2}; DIR=${DIR:-$(mktemp -d -t wal-fsync-cost.XXXX)}
mkdir -p "$DIR"
echo "$(date -u +%FT%TZ), nproc $(nproc), load average $(cut -d' ' -f1-3 /proc/loadavg); $(df -T "$DIR" | awk 'NR == 2 {print $2 " on " $1}')"
echo
echo "| file | sync | p50 us | p90 us | mean us | load (1 min) |"
echo "|---|---|---:|---:|---:|---|"
python3 - "$DIR" "$N" "$ROUNDS" <<'PY'
import os, sys, time
directory, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ROUND = b'x' * 2450
SIZE = 64 << 20  # the default segment size
def cell(kind, sync):
    path = os.path.join(directory, 'segment-' + kind)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    if kind == 'fallocated':
        os.posix_fallocate(fd, 0, SIZE)
        os.fsync(fd)
    elif kind == 'pre-zeroed':
        zeros = b'\0' * (1 << 20)
        for i in range(SIZE >> 20):
            os.pwrite(fd, zeros, i << 20)
        os.fsync(fd)
    offset, times = 0, []
    for _ in range(n):
        os.pwrite(fd, ROUND, offset)
        offset += len(ROUND)
        start = time.perf_counter_ns()
        sync(fd)
        times.append(time.perf_counter_ns() - start)
    os.close(fd)
    os.remove(path)
    times.sort()
    return times[len(times) // 2] / 1000, times[len(times) * 9 // 10] / 1000, sum(times) / len(times) / 1000
for _ in range(rounds):
    for kind in ('growing', 'fallocated', 'pre-zeroed'):
        for name, sync in (('fsync', os.fsync), ('fdatasync', os.fdatasync)):
            p50, p90, mean = cell(kind, sync)
            load = open('/proc/loadavg').read().split()[0]
            print(f'| {kind} | {name} | {p50:.1f} | {p90:.1f} | {mean:.1f} | {load} |', flush=True)
PY
rmdir "$DIR" 2>/dev/null || true
