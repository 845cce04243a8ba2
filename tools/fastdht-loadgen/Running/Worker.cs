using System.Buffers.Binary;
using System.Diagnostics;
using FastDht.Engine.Client;
using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Workloads;
using FastDht.Protocol;

namespace FastDht.LoadGen.Running;

/// <summary>
/// One request loop: draws an operation, sends it, awaits the answer, records it, repeats. A client is shared by
/// several workers (the requests in flight on its connections); a worker owns its generator and its buffers.
/// </summary>
/// <remarks>
/// Per operation a worker allocates nothing itself: the keys are written into a worker-owned array that the
/// ReadOnlyMemory views, the MultiPut entry list and the MultiGet key list point into, built once. Reusing them is
/// safe because a worker awaits each answer before it draws the next operation. The whole loop is one async method,
/// so its state machine is boxed once per worker, not once per operation.
/// </remarks>
internal sealed class Worker
{
    private static readonly double NanosecondsPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    private readonly DhtClient _client;
    private readonly OperationGenerator _generator;
    private readonly RunStatistics _statistics;
    private readonly RunControl _control;
    private readonly LoadProgress _progress;
    private readonly long[] _keyIndexes;
    private readonly byte[] _keyBytes;
    private readonly ReadOnlyMemory<byte>[] _keys;
    private readonly KeyValuePair<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>[] _entries;
    private readonly byte[] _value;
    private readonly DhtBatch? _batch;
    private readonly byte[] _batchKeyBytes = [];
    private readonly OperationKind[] _batchKinds = [];
    private readonly bool[] _batchMeasured = [];
    private readonly long[] _batchSuccesses = new long[RunStatistics.KindCount];
    private readonly long[] _batchMisses = new long[RunStatistics.KindCount];
    private readonly WrittenKeys? _written;
    private long _sequence;

    /// <summary>A worker of <paramref name="client"/>; with <paramref name="written"/> (single requests only), a read that misses a key known written counts as a failed <see cref="ErrorKinds.LostWrite"/>.</summary>
    public Worker(DhtClient client, WorkloadSpec spec, int seed, int workerIndex, RunStatistics statistics, RunControl control, LoadProgress progress, int batch = 1, WrittenKeys? written = null)
    {
        _written = written;
        _client = client;
        _generator = new OperationGenerator(spec, seed, workerIndex);
        _statistics = statistics;
        _control = control;
        _progress = progress;
        var count = spec.KeysPerOperation;
        _keyIndexes = new long[count];
        _keyBytes = new byte[count * KeyFormat.Length];
        _keys = new ReadOnlyMemory<byte>[count];
        _value = new byte[spec.ValueSize];
        // Values are random bytes, seeded like the operations, so a run is reproducible byte for byte.
        new Random(HashCode.Combine(seed, workerIndex, 0x7A1E)).NextBytes(_value);
        _entries = new KeyValuePair<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>[count];
        for (var i = 0; i < count; i++)
        {
            _keys[i] = _keyBytes.AsMemory(i * KeyFormat.Length, KeyFormat.Length);
            _entries[i] = new KeyValuePair<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>(_keys[i], _value);
        }
        if (batch > 1)
        {
            // One key slot per request of a round: the batch keeps the ReadOnlyMemory views until it has run.
            _batch = new DhtBatch(batch);
            _batchKeyBytes = new byte[batch * KeyFormat.Length];
            _batchKinds = new OperationKind[batch];
            _batchMeasured = new bool[batch];
        }
    }


    /// <summary>Inserts records <paramref name="first"/>, first + stride, ... below the key count (the YCSB load phase).</summary>
    /// <returns>How many inserts failed.</returns>
    public async Task<long> LoadAsync(long first, long stride, long keyCount)
    {
        long failed = 0;
        for (var index = first; index < keyCount && !_control.IsStopped; index += stride)
        {
            KeyFormat.Write(index, _keyBytes);
            StampValue();
            try
            {
                await _client.PutAsync(_keys[0], _value).ConfigureAwait(false);
            }
            catch (DhtException)
            {
                failed++;
            }
            _progress.RecordLoaded();
        }
        return failed;
    }

    /// <summary>Runs operations until the run control says stop.</summary>
    public Task RunAsync() => _batch is null ? RunEachAsync() : RunBatchesAsync(_batch);

    private async Task RunEachAsync()
    {
        var keyIndexes = _keyIndexes;
        while (_control.TryBegin(out var measured))
        {
            var kind = _generator.Next(keyIndexes);
            for (var i = 0; i < keyIndexes.Length; i++)
                KeyFormat.Write(keyIndexes[i], _keyBytes.AsSpan(i * KeyFormat.Length, KeyFormat.Length));
            // Asked before the read is sent: a write acknowledged while the read runs may or may not be seen by it.
            var mustFind = kind == OperationKind.Get && _written is { } known && known.CheckRead(keyIndexes[0]);
            var start = Stopwatch.GetTimestamp();
            bool success;
            long aborts = 0;
            try
            {
                switch (kind)
                {
                    case OperationKind.Get:
                        success = await _client.GetAsync(_keys[0]).ConfigureAwait(false) is not null;
                        break;
                    case OperationKind.Put:
                        StampValue();
                        await _client.PutAsync(_keys[0], _value).ConfigureAwait(false);
                        success = true;
                        break;
                    case OperationKind.PutIfAbsent:
                        StampValue();
                        success = await _client.PutIfAbsentAsync(_keys[0], _value).ConfigureAwait(false);
                        break;
                    case OperationKind.ReadModifyWrite:
                        // YCSB F: the write goes ahead whether or not the read found the record; a miss says the load
                        // phase did not cover the key.
                        success = await _client.GetAsync(_keys[0]).ConfigureAwait(false) is not null;
                        StampValue();
                        await _client.PutAsync(_keys[0], _value).ConfigureAwait(false);
                        break;
                    case OperationKind.MultiPut:
                        StampValue();
                        aborts = await _client.MultiPutAsync(_entries).ConfigureAwait(false) - 1;
                        success = true;
                        break;
                    case OperationKind.MultiGet:
                        success = AllPresent(await _client.MultiGetAsync(_keys).ConfigureAwait(false));
                        break;
                    default:
                        throw new InvalidOperationException($"no worker step for {kind}");
                }
            }
            catch (Exception e) when (e is DhtException or ArgumentException)
            {
                if (measured)
                {
                    _statistics.RecordError(kind, ErrorKinds.Of(e));
                    _statistics.Failures?.Enqueue(new FailedOperation(start, Stopwatch.GetTimestamp(), kind, ErrorKinds.Of(e), e.Message));
                    // A MultiPut that gave up says how many attempts it made, each one aborted: counting them keeps the
                    // abort rate exact instead of leaving out the transactions that fared worst.
                    if (kind == OperationKind.MultiPut && e is DhtServerException { Attempts: > 0 } gaveUp)
                        _statistics.RecordGaveUp(gaveUp.Attempts);
                }
                else
                {
                    _progress.RecordWarmup();
                }
                continue;
            }
            if (_written is { } written && !RecordWritten(written, kind, success, mustFind, measured, start))
                continue;
            if (!measured)
            {
                _progress.RecordWarmup();
                continue;
            }
            var nanoseconds = (long)((Stopwatch.GetTimestamp() - start) * NanosecondsPerTick);
            if (success)
                _statistics.RecordSuccess(kind, nanoseconds);
            else
                _statistics.RecordMiss(kind, nanoseconds);
            if (kind == OperationKind.MultiPut)
            {
                _statistics.RecordAborts(aborts);
                _statistics.RecordAttempts(aborts + 1);
            }
        }
    }

    /// <summary>
    /// Rounds of up to the batch size: draws the operations, sends them as one batch, records each with the batch's
    /// latency. The run control is asked once per operation, so a count or a stop cuts the last round short exactly.
    /// </summary>
    private async Task RunBatchesAsync(DhtBatch batch)
    {
        var keyIndexes = _keyIndexes;
        var capacity = _batchKinds.Length;
        var stop = false;
        while (!stop)
        {
            batch.Clear();
            // A round's writes carry one fresh sequence number: the batch sends the value buffer as it is when it runs.
            StampValue();
            var count = 0;
            while (count < capacity)
            {
                if (!_control.TryBegin(out var measured))
                {
                    stop = true;
                    break;
                }
                var kind = _generator.Next(keyIndexes);
                var key = _batchKeyBytes.AsMemory(count * KeyFormat.Length, KeyFormat.Length);
                KeyFormat.Write(keyIndexes[0], key.Span);
                switch (kind)
                {
                    case OperationKind.Get:
                        batch.Get(key);
                        break;
                    case OperationKind.Put:
                        batch.Put(key, _value);
                        break;
                    case OperationKind.PutIfAbsent:
                        batch.PutIfAbsent(key, _value);
                        break;
                    default:
                        throw new InvalidOperationException($"no batched step for {kind}");
                }
                _batchKinds[count] = kind;
                _batchMeasured[count] = measured;
                count++;
            }
            if (count == 0)
                break;
            var start = Stopwatch.GetTimestamp();
            // Per-request errors come back as results; only a disposed client throws, which ends the run anyway.
            await _client.ExecuteAsync(batch).ConfigureAwait(false);
            var nanoseconds = (long)((Stopwatch.GetTimestamp() - start) * NanosecondsPerTick);
            // Every request of the round took the batch's time: counted per kind, then recorded once per kind with
            // its count, so the recorders are not the batch path's bottleneck.
            Array.Clear(_batchSuccesses);
            Array.Clear(_batchMisses);
            for (var i = 0; i < count; i++)
            {
                if (!_batchMeasured[i])
                {
                    _progress.RecordWarmup();
                    continue;
                }
                var result = batch[i];
                if (result.IsError)
                {
                    _statistics.RecordError(_batchKinds[i], result.Status.ToString());
                    _statistics.Failures?.Enqueue(new FailedOperation(start, start + (long)(nanoseconds / NanosecondsPerTick), _batchKinds[i], result.Status.ToString(), result.Error ?? result.Status.ToString()));
                }
                else if (result.Status == StatusCode.Ok)
                    _batchSuccesses[(int)_batchKinds[i]]++;
                else
                    _batchMisses[(int)_batchKinds[i]]++; // NotFound for a Get, Exists for a PutIfAbsent
            }
            for (var kind = 0; kind < _batchSuccesses.Length; kind++)
                _statistics.RecordBatch((OperationKind)kind, nanoseconds, _batchSuccesses[kind], _batchMisses[kind]);
        }
    }

    /// <summary>Notes the keys an answer says hold a value; false (and a failed operation when measured) for a read that missed a key known written.</summary>
    private bool RecordWritten(WrittenKeys written, OperationKind kind, bool success, bool mustFind, bool measured, long start)
    {
        switch (kind)
        {
            case OperationKind.Get when !success && mustFind:
                if (measured)
                {
                    _statistics.RecordError(kind, ErrorKinds.LostWrite);
                    _statistics.Failures?.Enqueue(new FailedOperation(start, Stopwatch.GetTimestamp(), kind, ErrorKinds.LostWrite,
                        $"key {_keyIndexes[0]} read nothing, but a write of it was acknowledged (or a read found it) before this read began"));
                }
                else
                {
                    _progress.RecordWarmup();
                }
                return false;
            case OperationKind.Get when success:
            case OperationKind.Put or OperationKind.PutIfAbsent or OperationKind.ReadModifyWrite: // PutIfAbsent's false: it exists
                written.Add(_keyIndexes[0]);
                break;
            case OperationKind.MultiPut:
                foreach (var key in _keyIndexes)
                    written.Add(key);
                break;
        }
        return true;
    }

    private static bool AllPresent(byte[]?[] values)
    {
        foreach (var value in values)
        {
            if (value is null)
                return false;
        }
        return true;
    }

    // Each write carries a fresh sequence number in its first bytes, so an update really changes the stored value
    // (and a reader could tell two writes apart) without allocating a new value buffer.
    private void StampValue()
    {
        if (_value.Length >= sizeof(long))
            BinaryPrimitives.WriteInt64LittleEndian(_value, ++_sequence);
    }
}
