namespace FastDht.LoadGen.Running;

/// <summary>
/// What the workers consult before each operation: stopped or not, measured or not, and (in operation-count mode)
/// whether the budget has a ticket left. One instance per run, read by every worker without locks.
/// </summary>
/// <remarks>
/// An operation is measured when it starts after the warm-up ends; one that started during the warm-up and finishes
/// after it is not recorded, so "operations = successes + misses + errors" holds exactly and, in count mode, exactly
/// the requested number of operations is measured.
/// </remarks>
internal sealed class RunControl
{
    private int _stopped;
    private int _measuring;
    private int _countMode;
    private long _remaining;

    public bool IsStopped => Volatile.Read(ref _stopped) != 0;

    public bool IsMeasuring => Volatile.Read(ref _measuring) != 0;

    /// <summary>Ends the warm-up; with a count, only that many operations start from now on.</summary>
    public void BeginMeasuring(long? operationCount)
    {
        if (operationCount is { } count)
        {
            _remaining = count;
            _countMode = 1;
        }
        // The release write publishes _remaining and _countMode to any worker that sees _measuring = 1.
        Volatile.Write(ref _measuring, 1);
    }

    /// <summary>No operation starts after this; the ones in flight finish.</summary>
    public void Stop() => Volatile.Write(ref _stopped, 1);

    /// <summary>Claims the right to start one operation.</summary>
    /// <param name="measured">Whether the operation's outcome belongs in the report.</param>
    /// <returns>False when the worker must stop.</returns>
    public bool TryBegin(out bool measured)
    {
        measured = false;
        if (Volatile.Read(ref _stopped) != 0)
            return false;
        if (Volatile.Read(ref _measuring) == 0)
            return true;
        if (_countMode != 0 && Interlocked.Decrement(ref _remaining) < 0)
            return false;
        measured = true;
        return true;
    }
}
