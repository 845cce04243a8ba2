namespace FastDht.Engine.Transport;

/// <summary>How a connection's output divides into frames, and a large frame into pieces smaller frames may pass (a peer link's protocol supplies it: <see cref="SocketConnection.EnableFragmentsAsync"/>).</summary>
internal abstract class OutputFraming
{
    /// <summary>How many bytes of a frame's start say its whole length and whether it may pass a large frame.</summary>
    public abstract int HeaderSize { get; }

    /// <summary>A frame longer than this on the wire goes in pieces.</summary>
    public abstract int LargeFrame { get; }

    /// <summary>The most bytes of a large frame one piece carries.</summary>
    public abstract int PieceSize { get; }

    /// <summary>The size of the header put before each piece.</summary>
    public abstract int PieceHeaderSize { get; }

    /// <summary>The whole length on the wire of the frame that starts with <paramref name="header"/>.</summary>
    /// <param name="header">The frame's first <see cref="HeaderSize"/> bytes.</param>
    /// <param name="passes">Whether the frame may be sent ahead of large frames written before it (an answer, a heartbeat); any other frame keeps its place behind them.</param>
    public abstract long FrameLength(ReadOnlySpan<byte> header, out bool passes);

    /// <summary>Writes the header of a piece of stream <paramref name="streamId"/> that carries <paramref name="pieceLength"/> bytes of its frame.</summary>
    public abstract void WritePieceHeader(Span<byte> destination, uint streamId, int pieceLength);
}
