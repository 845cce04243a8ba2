#!/usr/bin/env bash
# What an fsync of the write-ahead log's group commit costs on this disk, by how its segment file was made: growing
# (as the log wrote before 9269f51: each round extends the file, so the sync also commits the new size), fallocated
# (space reserved, extents still "unwritten": the first write into each converts it) and pre-zeroed (every block
# written once before use, as the log does now and PostgreSQL does), zeroed in 4 KiB writes (as SegmentFile.Reserve)
# or in 1 MiB writes (Linux 6.x then caches the file in 1 MiB folios, and each round dirties and writes back a whole
# one: see the write_bytes column): for each, fsync and fdatasync after every append of one round at -c 50 -P 1
# (50 records of 49 bytes: 2,450 bytes). write_bytes/sync: this process's /proc write_bytes per sync (what it sent
# to the disk).
#
# Env: N (2000 syncs per cell) ROUNDS (2) DIR (a new temp dir: put it on the data directory's file system)
# Usage: bash benchmarks/wal-fsync-cost.sh          Needs python3. Prints one markdown row per cell.
set -euo pipefail
N=${N:-2000}; ROUNDS=${ROUNDS:-2}; DIR=${DIR:-$(mktemp -d -t wal-fsync-cost.XXXX)}
mkdir -p "$DIR"
echo "$(date -u +%FT%TZ), nproc $(nproc), load average $(cut -d' ' -f1-3 /proc/loadavg); $(df -T "$DIR" | awk 'NR == 2 {print $2 " on " $1}')"
echo
echo "| file | sync | p50 us | p90 us | mean us | write_bytes / sync | load (1 min) |"
echo "|---|---|---:|---:|---:|---:|---|"
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
    elif kind.startswith('pre-zeroed'):
        chunk = 4096 if '4 KiB' in kind else 1 << 20
        zeros = b'\0' * chunk
        for i in range(SIZE // chunk):
            os.pwrite(fd, zeros, i * chunk)
        os.fsync(fd)
    offset, times = 16, []
    written = write_bytes()
    for _ in range(n):
        os.pwrite(fd, ROUND, offset)
        offset += len(ROUND)
        start = time.perf_counter_ns()
        sync(fd)
        times.append(time.perf_counter_ns() - start)
    written = (write_bytes() - written) / n
    os.close(fd)
    os.remove(path)
    times.sort()
    return times[len(times) // 2] / 1000, times[len(times) * 9 // 10] / 1000, sum(times) / len(times) / 1000, written
def write_bytes():
    for line in open('/proc/self/io'):
        if line.startswith('write_bytes:'):
            return int(line.split()[1])
    return 0
for _ in range(rounds):
    for kind in ('growing', 'fallocated', 'pre-zeroed (4 KiB writes)', 'pre-zeroed (1 MiB writes)'):
        for name, sync in (('fsync', os.fsync), ('fdatasync', os.fdatasync)):
            p50, p90, mean, written = cell(kind, sync)
            load = open('/proc/loadavg').read().split()[0]
            print(f'| {kind} | {name} | {p50:.1f} | {p90:.1f} | {mean:.1f} | {written:,.0f} | {load} |', flush=True)
PY
rmdir "$DIR" 2>/dev/null || true
