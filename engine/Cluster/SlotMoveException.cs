namespace FastDht.Engine.Cluster;

/// <summary>A slot move could not be made; the slots stay where they were (the message says why).</summary>
public sealed class SlotMoveException : Exception
{
    public SlotMoveException(string message)
        : base(message)
    {
    }

    public SlotMoveException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
