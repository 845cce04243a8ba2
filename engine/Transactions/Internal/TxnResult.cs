using FastDht.Protocol;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>What a coordinated operation answers: its step outcome, plus attempts (MultiPut), values (MultiGet, TxnRead), tokens (Lock) or an attempt's outcome (TxnStatus).</summary>
internal readonly struct TxnResult
{
    public TxnResult(TxnStep step, uint attempts = 0, LookupResult[]? values = null, long[]? tokens = null, TxnOutcome outcome = default)
    {
        Step = step;
        Attempts = attempts;
        Values = values;
        Tokens = tokens;
        Outcome = outcome;
    }

    public TxnOutcome Outcome { get; }

    public TxnStep Step { get; }

    public uint Attempts { get; }

    public LookupResult[]? Values { get; }

    public long[]? Tokens { get; }
}
