using FastDht.Locking;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// What one node knows of transaction outcomes: the attempts it coordinates and has not finished delivering, the
/// decisions it recently made or learned, and the per-transaction lock that orders a prepare, a decision and a
/// status answer about one transaction.
/// </summary>
/// <remarks>
/// <para>
/// Requirements: a repeated TxnCommit/TxnAbort is answered consistently; a participant that told an uncertain peer
/// "never prepared" refuses a late TxnPrepare of that attempt; a coordinator never decides commit for an attempt it
/// answered "never prepared" about. The per-transaction lock (striped, 64 stripes) makes each of these checks and
/// the state change it guards one step.
/// </para>
/// <para>
/// Memory is bounded: the last <see cref="Capacity"/> decisions are kept (64 Ki x about 80 B: about 5 MiB), oldest
/// first out. An attempt whose transaction is no younger than the youngest forgotten one is answered "unknown",
/// never "never prepared": forgetting must not turn into a false vote to abort.
/// </para>
/// </remarks>
internal sealed class TxnDecisions
{
    public const int Capacity = 64 * 1024;

    private const int StripeCount = 64;

    private readonly Lock[] _stripes = new Lock[StripeCount];
    private readonly Lock _memory = new();
    private readonly Dictionary<(TxnId, ushort), bool> _outcomes = new();
    private readonly Queue<(TxnId, ushort)> _order = new();
    private readonly Dictionary<TxnId, InFlight> _inFlight = new();
    private long _forgottenUpTo = long.MinValue;

    public TxnDecisions()
    {
        for (var i = 0; i < _stripes.Length; i++)
            _stripes[i] = new Lock();
    }

    /// <summary>Attempts this node coordinates that are being decided or delivered (for tests and diagnostics).</summary>
    public int InFlightCount
    {
        get
        {
            lock (_memory)
                return _inFlight.Count;
        }
    }

    /// <summary>The lock that orders everything this node does about one transaction's outcome.</summary>
    public Lock SyncFor(TxnId txn) => _stripes[(int)((uint)txn.GetHashCode() % StripeCount)];

    /// <summary>Remembers a decision (made here or learned); the oldest is forgotten when full.</summary>
    public void Remember(in TxnDecision decision)
    {
        lock (_memory)
        {
            if (!_outcomes.TryAdd((decision.Txn, decision.Attempt), decision.Commit))
                return;
            _order.Enqueue((decision.Txn, decision.Attempt));
            while (_order.Count > Capacity)
            {
                var oldest = _order.Dequeue();
                _outcomes.Remove(oldest);
                _forgottenUpTo = Math.Max(_forgottenUpTo, oldest.Item1.Timestamp);
            }
        }
    }

    /// <summary>
    /// The remembered commit decisions as log records, for a snapshot to carry: the log they were first written to may
    /// be dropped after it, and a restarted coordinator must still answer "committed" for them. Aborts need no record
    /// (presumed abort).
    /// </summary>
    public List<byte[]> CommitRecords()
    {
        lock (_memory)
        {
            var records = new List<byte[]>(_outcomes.Count);
            foreach (var ((txn, attempt), commit) in _outcomes)
            {
                if (!commit)
                    continue;
                var record = new byte[TxnDecisionRecord.Size];
                TxnDecisionRecord.Write(record, new TxnDecision(txn, attempt, Commit: true));
                records.Add(record);
            }
            return records;
        }
    }

    /// <summary>The remembered decision of an attempt, if any.</summary>
    public bool TryGet(TxnId txn, ushort attempt, out bool commit)
    {
        lock (_memory)
            return _outcomes.TryGetValue((txn, attempt), out commit);
    }

    /// <summary>The youngest forgotten transaction's timestamp (<see cref="long.MinValue"/> when nothing was forgotten).</summary>
    public long ForgottenUpTo
    {
        get
        {
            lock (_memory)
                return _forgottenUpTo;
        }
    }

    /// <summary>Raises the forgotten watermark to <paramref name="timestamp"/> (a snapshot's, at start); never lowers it.</summary>
    public void ForgetUpTo(long timestamp)
    {
        lock (_memory)
            _forgottenUpTo = Math.Max(_forgottenUpTo, timestamp);
    }

    /// <summary>True when a decision about this transaction may have been forgotten: "never prepared" would be a guess.</summary>
    public bool MayHaveForgotten(TxnId txn)
    {
        lock (_memory)
            return txn.Timestamp <= _forgottenUpTo;
    }

    /// <summary>
    /// Coordinator: starts deciding an attempt, before any TxnPrepare leaves. False when this node already answered
    /// "never prepared" about it (the attempt must abort). Call under <see cref="SyncFor"/>.
    /// </summary>
    public bool TryBeginDeciding(TxnId txn, ushort attempt)
    {
        if (TryGet(txn, attempt, out var commit) && !commit)
            return false;
        lock (_memory)
            _inFlight[txn] = new InFlight(attempt);
        return true;
    }

    /// <summary>Coordinator: the attempt is decided; remembered, and kept in flight until every participant has it. Call under <see cref="SyncFor"/>.</summary>
    public void Decide(in TxnDecision decision)
    {
        Remember(decision);
        lock (_memory)
        {
            if (_inFlight.TryGetValue(decision.Txn, out var flight) && flight.Attempt == decision.Attempt)
                flight.Decided = decision.Commit ? Decided.Commit : Decided.Abort;
        }
    }

    /// <summary>Coordinator: every participant acknowledged the decision (or the node stops).</summary>
    public void EndInFlight(TxnId txn, ushort attempt)
    {
        lock (_memory)
        {
            if (_inFlight.TryGetValue(txn, out var flight) && flight.Attempt == attempt)
                _inFlight.Remove(txn);
        }
    }

    /// <summary>Coordinator: the attempt of this transaction being decided or delivered here, with its decision so far.</summary>
    public bool TryGetInFlight(TxnId txn, out ushort attempt, out bool? commit)
    {
        lock (_memory)
        {
            if (_inFlight.TryGetValue(txn, out var flight))
            {
                attempt = flight.Attempt;
                commit = flight.Decided switch { Decided.Commit => true, Decided.Abort => false, _ => null };
                return true;
            }
        }
        attempt = 0;
        commit = null;
        return false;
    }

    private enum Decided
    {
        No,
        Commit,
        Abort,
    }

    private sealed class InFlight(ushort attempt)
    {
        public ushort Attempt { get; } = attempt;

        public Decided Decided { get; set; }
    }
}
