namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// One decision on its way to the remote participants of an attempt: counts their acknowledgements, notes a
/// participant that restarted before it applied a commit or refused it, and completes when every participant is
/// accounted for.
/// </summary>
internal sealed class DecisionDelivery
{
    private readonly TaskCompletionSource _allAcknowledged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;
    private string? _lost;
    private string? _refused;

    public DecisionDelivery(TxnDecision decision, int remoteCount)
    {
        Decision = decision;
        _pending = remoteCount;
        if (remoteCount == 0)
            _allAcknowledged.TrySetResult();
    }

    public TxnDecision Decision { get; }

    /// <summary>Completes when every remote participant acknowledged the decision (or was found restarted).</summary>
    public Task AllAcknowledged => _allAcknowledged.Task;

    /// <summary>The participants that restarted between their prepare and the commit, losing their part (null: none).</summary>
    public string? Lost => Volatile.Read(ref _lost);

    /// <summary>The participants that refused a commit (each with its reason; null: none): their part is not applied.</summary>
    public string? Refused => Volatile.Read(ref _refused);

    /// <summary>A participant acknowledged; true when it was the last one.</summary>
    public bool Acknowledge()
    {
        if (Interlocked.Decrement(ref _pending) != 0)
            return false;
        _allAcknowledged.TrySetResult();
        return true;
    }

    /// <summary>A participant restarted before applying the commit: its prepared writes were only in memory.</summary>
    public bool Lose(ushort node)
    {
        Note(ref _lost, $"node {node}");
        return Acknowledge();
    }

    /// <summary>Notes a participant (remote, or this node's own part) that refused the commit: it holds the opposite decision or lost a prepared lock.</summary>
    public void Refuse(ushort node, string? reason) => Note(ref _refused, $"node {node} ({reason})");

    private static void Note(ref string? list, string entry)
    {
        string? seen, next;
        do
        {
            seen = Volatile.Read(ref list);
            next = seen is null ? entry : $"{seen}, {entry}";
        }
        while (Interlocked.CompareExchange(ref list, next, seen) != seen);
    }
}
