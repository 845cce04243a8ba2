namespace FastDht.Locking;

/// <summary>The outcome of an acquire: granted with a fencing token, or aborted with a reason.</summary>
public readonly struct LockResult : IEquatable<LockResult>
{
    private LockResult(LockStatus status, LockAbortReason reason, long fencingToken)
    {
        Status = status;
        Reason = reason;
        FencingToken = fencingToken;
    }

    /// <summary>Granted or aborted.</summary>
    public LockStatus Status { get; }

    /// <summary>Why it was aborted; <see cref="LockAbortReason.None"/> when granted.</summary>
    public LockAbortReason Reason { get; }

    /// <summary>The grant's fencing token (grows per key); 0 when aborted.</summary>
    public long FencingToken { get; }

    /// <summary>True when the lock is held.</summary>
    public bool IsGranted => Status == LockStatus.Granted;

    public static LockResult Granted(long fencingToken) => new(LockStatus.Granted, LockAbortReason.None, fencingToken);

    public static LockResult Aborted(LockAbortReason reason) => new(LockStatus.Aborted, reason, 0);

    public bool Equals(LockResult other) =>
        Status == other.Status && Reason == other.Reason && FencingToken == other.FencingToken;

    public override bool Equals(object? obj) => obj is LockResult other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Status, Reason, FencingToken);

    public override string ToString() => IsGranted ? $"Granted({FencingToken})" : $"Aborted({Reason})";

    public static bool operator ==(LockResult left, LockResult right) => left.Equals(right);

    public static bool operator !=(LockResult left, LockResult right) => !left.Equals(right);
}
