using System.Diagnostics;

namespace FastDht.TestUtilities.Jepsen;

/// <summary>
/// A Jepsen-style history of registers, one per key: every write (acknowledged or in doubt) and every answered read,
/// each with its invocation and completion time, recorded from any number of client tasks; <see cref="Check"/> finds
/// lost acknowledged writes and stale reads.
/// </summary>
/// <remarks>
/// The model: each key has ONE writer, which writes the values 1, 2, 3, ... in order, one at a time, so a value's
/// number orders it among the key's writes. A read is correct when it returns a value at least as new as the last
/// write acknowledged before the read began, and not newer than the newest write invoked before the read ended. A
/// write in doubt (timed out, connection lost, refused after it may have been applied) may be seen or not. Stricter
/// than linearizability in one respect, on purpose: a write in doubt that surfaces AFTER a later write of its key was
/// acknowledged and read counts as a lost acknowledged write, because its writer had moved on (nothing retries it).
/// </remarks>
public sealed class RegisterHistory
{
    private readonly Lock _sync = new();
    private readonly List<RegisterOperation> _operations = [];

    /// <summary>The clock every operation is timed with.</summary>
    public static long Now() => Stopwatch.GetTimestamp();

    /// <summary>Records a write of value <paramref name="value"/> of <paramref name="key"/>.</summary>
    public void Write(string key, long value, long invoked, long completed, bool acknowledged) =>
        Add(new RegisterOperation(key, IsWrite: true, value, invoked, completed, acknowledged));

    /// <summary>Records an answered read that found value <paramref name="value"/> (0: absent).</summary>
    public void Read(string key, long value, long invoked, long completed) =>
        Add(new RegisterOperation(key, IsWrite: false, value, invoked, completed, Acknowledged: true));

    /// <summary>A copy of the operations so far.</summary>
    public RegisterOperation[] Operations
    {
        get
        {
            lock (_sync)
                return [.. _operations];
        }
    }

    /// <summary>Counts of what was recorded: acknowledged writes, writes in doubt, reads.</summary>
    public (int Acknowledged, int InDoubt, int Reads) Counts()
    {
        int acknowledged = 0, inDoubt = 0, reads = 0;
        lock (_sync)
        {
            foreach (var op in _operations)
            {
                if (!op.IsWrite)
                    reads++;
                else if (op.Acknowledged)
                    acknowledged++;
                else
                    inDoubt++;
            }
        }
        return (acknowledged, inDoubt, reads);
    }

    /// <summary>Writes invoked after <paramref name="since"/>: acknowledged, and in doubt.</summary>
    public (int Acknowledged, int InDoubt) Since(long since)
    {
        int acknowledged = 0, inDoubt = 0;
        lock (_sync)
        {
            foreach (var op in _operations)
            {
                if (op.IsWrite && op.Invoked > since)
                {
                    if (op.Acknowledged)
                        acknowledged++;
                    else
                        inDoubt++;
                }
            }
        }
        return (acknowledged, inDoubt);
    }

    /// <summary>How many acknowledged writes were invoked after <paramref name="since"/>: progress since a fault.</summary>
    public int AcknowledgedSince(long since)
    {
        var count = 0;
        lock (_sync)
        {
            for (var i = _operations.Count - 1; i >= 0; i--)
            {
                var op = _operations[i];
                if (op.Completed < since)
                    break; // recorded in completion order, near enough: older ones only
                if (op.IsWrite && op.Acknowledged && op.Invoked > since)
                    count++;
            }
        }
        return count;
    }

    /// <summary>The operations on <paramref name="key"/> in invocation order, one line each, times in ms after <paramref name="origin"/>: for a failure message.</summary>
    public string Describe(string key, long origin)
    {
        var ops = new List<RegisterOperation>();
        foreach (var op in Operations)
        {
            if (op.Key == key)
                ops.Add(op);
        }
        ops.Sort((a, b) => a.Invoked.CompareTo(b.Invoked));
        var text = new System.Text.StringBuilder();
        foreach (var op in ops)
        {
            var kind = !op.IsWrite ? "read " : op.Acknowledged ? "write" : "write (in doubt)";
            text.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"  {kind} {op.Value}: {Stopwatch.GetElapsedTime(origin, op.Invoked).TotalMilliseconds:0.0} .. {Stopwatch.GetElapsedTime(origin, op.Completed).TotalMilliseconds:0.0} ms{Environment.NewLine}");
        }
        return text.ToString();
    }

    /// <summary>Every violation of the model, one line each (empty: the history is correct).</summary>
    public IReadOnlyList<string> Check()
    {
        var violations = new List<string>();
        var byKey = new Dictionary<string, (List<RegisterOperation> Writes, List<RegisterOperation> Reads)>(StringComparer.Ordinal);
        foreach (var op in Operations)
        {
            if (!byKey.TryGetValue(op.Key, out var ops))
                byKey[op.Key] = ops = ([], []);
            (op.IsWrite ? ops.Writes : ops.Reads).Add(op);
        }
        foreach (var (key, (writes, reads)) in byKey)
        {
            writes.Sort((a, b) => a.Value.CompareTo(b.Value));
            for (var i = 1; i < writes.Count; i++)
            {
                if (writes[i].Invoked < writes[i - 1].Completed)
                    violations.Add($"{key}: writes {writes[i - 1].Value} and {writes[i].Value} overlap: the history breaks its one-writer model");
            }
            foreach (var read in reads)
            {
                var lastAcknowledged = 0L;
                var newestInvoked = 0L;
                foreach (var write in writes)
                {
                    if (write.Acknowledged && write.Completed < read.Invoked)
                        lastAcknowledged = write.Value;
                    if (write.Invoked < read.Completed)
                        newestInvoked = write.Value;
                }
                if (read.Value < lastAcknowledged)
                {
                    violations.Add(read.Value == 0
                        ? $"{key}: a read found nothing, but write {lastAcknowledged} was acknowledged before it began (lost)"
                        : $"{key}: a read found value {read.Value}, older than write {lastAcknowledged} acknowledged before it began (stale or lost)");
                }
                else if (read.Value > newestInvoked)
                {
                    violations.Add($"{key}: a read found value {read.Value}, which was not written before the read ended (newest: {newestInvoked})");
                }
            }
        }
        return violations;
    }

    private void Add(RegisterOperation op)
    {
        lock (_sync)
            _operations.Add(op);
    }
}
