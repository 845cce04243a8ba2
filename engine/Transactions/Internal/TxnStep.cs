using FastDht.Protocol;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>The outcome of one step of a transaction at one participant: Ok, or an error status and its message.</summary>
internal readonly struct TxnStep
{
    public TxnStep(StatusCode status, string? message)
    {
        Status = status;
        Message = message;
    }

    private TxnStep(StatusCode status, string message, bool commitDecided)
        : this(status, message)
    {
        CommitDecided = commitDecided;
    }

    /// <summary>
    /// An error answered after the coordinator decided commit (not confirmed in time, or refused or lost at a
    /// participant): unlike every other error, the writes are (or will be) applied, so a caller must not say "not
    /// applied", and what the transaction read under its locks is what it committed on.
    /// </summary>
    public static TxnStep AfterCommit(StatusCode status, string message) => new(status, message, commitDecided: true);

    public static TxnStep Ok => default;

    public StatusCode Status { get; }

    public string? Message { get; }

    public bool IsOk => Status == StatusCode.Ok;

    /// <summary>Set by <see cref="AfterCommit"/>: an error whose transaction is decided commit.</summary>
    public bool CommitDecided { get; }

    /// <summary>A lock conflict the strategy resolved by aborting: the transaction may retry.</summary>
    public bool IsConflict => Status is StatusCode.Aborted or StatusCode.Wounded;
}
