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

    public static TxnStep Ok => default;

    public StatusCode Status { get; }

    public string? Message { get; }

    public bool IsOk => Status == StatusCode.Ok;

    /// <summary>A lock conflict the strategy resolved by aborting: the transaction may retry.</summary>
    public bool IsConflict => Status is StatusCode.Aborted or StatusCode.Wounded;
}
