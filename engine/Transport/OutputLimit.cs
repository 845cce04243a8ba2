namespace FastDht.Engine.Transport;

/// <summary>How much unsent output a client connection may leave in the node before the node closes it (Redis's client-output-buffer-limit).</summary>
/// <remarks>
/// A security matter: a client that sends commands and never reads the replies makes the node hold them. The output
/// pipe's pause threshold stops such a client's commands once it holds about twice the maximum frame (128 MiB by
/// default), but holds that much for as long as the client stays connected, so a few dozen such clients pin gigabytes.
/// Unsent means written by the node and not yet handed to the kernel's socket buffer. The bound is checked at each
/// flush and while a flush waits for the client to read. Only the connections a session asks for it are bounded
/// (<see cref="SocketConnection.BoundAsClient"/>): served clients, not inbound peer links, whose reader is a node.
/// </remarks>
public sealed class OutputLimit
{
    /// <summary>Unsent bytes past which the connection is closed at once; 0 for none.</summary>
    public long Hard { get; init; }

    /// <summary>Unsent bytes the connection may stay above for at most <see cref="SoftTime"/>; 0 for none.</summary>
    public long Soft { get; init; }

    /// <summary>How long the unsent bytes may stay above <see cref="Soft"/> before the connection is closed.</summary>
    public TimeSpan SoftTime { get; init; }

    /// <summary>Whether either bound is on.</summary>
    internal bool IsOn => Hard > 0 || (Soft > 0 && SoftTime > TimeSpan.Zero);

    /// <summary>Whether the connection must be closed now, given its unsent bytes; keeps when they rose above the soft bound in <paramref name="overSoftSince"/> (0 while below).</summary>
    internal bool IsExceeded(long unsent, long now, ref long overSoftSince)
    {
        if (Hard > 0 && unsent > Hard)
            return true;
        if (Soft <= 0 || SoftTime <= TimeSpan.Zero || unsent <= Soft)
        {
            overSoftSince = 0;
            return false;
        }
        if (overSoftSince == 0)
        {
            overSoftSince = now;
            return false;
        }
        return TimeSpan.FromMilliseconds(now - overSoftSince) >= SoftTime;
    }

    /// <summary>How long a flush that waits for the client may wait before the soft bound is overdue; null when it may wait as long as it takes.</summary>
    internal TimeSpan? SoftWait(long now, long overSoftSince)
    {
        if (overSoftSince == 0)
            return null;
        var left = SoftTime - TimeSpan.FromMilliseconds(now - overSoftSince);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>A short description for the log: "hard 268435456 bytes, soft 67108864 bytes for 60 s".</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"hard {(Hard > 0 ? $"{Hard} bytes" : "off")}, soft {(Soft > 0 && SoftTime > TimeSpan.Zero ? $"{Soft} bytes for {SoftTime.TotalSeconds:0.###} s" : "off")}");
}
