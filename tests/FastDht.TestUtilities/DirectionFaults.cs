namespace FastDht.TestUtilities;

/// <summary>The faults a <see cref="LoopbackProxy"/> applies to one direction, read by every pump before each chunk.</summary>
/// <remarks>
/// Settings change while pumps run, so each is published atomically: a pump sees the old value or the new one, and
/// a change applies from the next chunk on, to open connections and new ones alike.
/// </remarks>
internal sealed class DirectionFaults
{
    private readonly object _gate = new();
    private TaskCompletionSource? _stall; // set while stalled; completed (and cleared) on resume
    private long _delayTicks;
    private Func<ReadOnlyMemory<byte>, byte[]>? _transform;
    private long _dropLimit = -1; // negative: off
    private int _dropEpoch;        // bumped on every DropAfter call, so pumps restart their count from that moment
    private int _held;
    private long _forwarded;
    private Func<FastDht.Protocol.FrameHeader, bool>? _holdFrames;
    private int _heldFrames;

    /// <summary>Pumps of this direction holding a chunk they read because of a stall.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Bytes written to the far side so far (after any transform).</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Native frames of this direction matching it are held back (see <see cref="LoopbackProxy.HoldFrames"/>); null: none.</summary>
    public Func<FastDht.Protocol.FrameHeader, bool>? HoldFrames
    {
        get => Volatile.Read(ref _holdFrames);
        set => Volatile.Write(ref _holdFrames, value);
    }

    /// <summary>Frames held back by <see cref="HoldFrames"/> and not released yet, over every connection.</summary>
    public int HeldFrames => Volatile.Read(ref _heldFrames);

    public void AddHeldFrames(int count) => Interlocked.Add(ref _heldFrames, count);

    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    public Func<ReadOnlyMemory<byte>, byte[]>? Transform
    {
        get => Volatile.Read(ref _transform);
        set => Volatile.Write(ref _transform, value);
    }

    public void SetStall(bool stalled)
    {
        TaskCompletionSource? resumed = null;
        lock (_gate)
        {
            if (stalled)
            {
                // Continuations off this thread: resuming must not run a pump inside the test's call.
                _stall ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            else
            {
                resumed = _stall;
                _stall = null;
            }
        }

        resumed?.TrySetResult();
    }

    /// <summary>Returns once this direction is not stalled; <paramref name="changed"/> runs when the pump starts or stops holding.</summary>
    public async ValueTask WaitWhileStalledAsync(Action changed, CancellationToken token)
    {
        Task? stall = CurrentStall();
        if (stall is null)
        {
            return;
        }

        Interlocked.Increment(ref _held);
        changed();
        try
        {
            // A loop: the test may stall again between the resume and this pump waking up.
            while (stall is not null)
            {
                await stall.WaitAsync(token).ConfigureAwait(false);
                stall = CurrentStall();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _held);
            changed();
        }
    }

    public void SetDrop(long? bytes)
    {
        lock (_gate)
        {
            _dropLimit = bytes ?? -1;
            _dropEpoch++;
        }
    }

    /// <summary>The drop limit (negative when off) and the epoch of the call that set it.</summary>
    public (long Limit, int Epoch) Drop
    {
        get
        {
            lock (_gate)
            {
                return (_dropLimit, _dropEpoch);
            }
        }
    }

    public void AddForwarded(int count) => Interlocked.Add(ref _forwarded, count);

    private Task? CurrentStall()
    {
        lock (_gate)
        {
            return _stall?.Task;
        }
    }
}
