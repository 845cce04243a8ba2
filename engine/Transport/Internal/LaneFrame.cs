using System.Buffers;

namespace FastDht.Engine.Transport.Internal;

/// <summary>A frame waiting in an <see cref="OutputLane"/>: its bytes in pooled chunks, and how much of it is sent.</summary>
internal sealed class LaneFrame
{
    /// <summary>The size of each pooled chunk: one piece's worth, so a chunk never holds a large-object-heap array.</summary>
    public const int ChunkSize = 64 * 1024;

    private readonly byte[][] _chunks;

    /// <summary>Copies <paramref name="frame"/> into pooled chunks.</summary>
    public LaneFrame(in ReadOnlySequence<byte> frame, bool inPieces, long afterPipeBytes)
    {
        Length = (int)frame.Length;
        InPieces = inPieces;
        AfterPipeBytes = afterPipeBytes;
        _chunks = new byte[(Length + ChunkSize - 1) / ChunkSize][];
        var rest = frame;
        for (var i = 0; i < _chunks.Length; i++)
        {
            var take = (int)Math.Min(ChunkSize, rest.Length);
            _chunks[i] = ArrayPool<byte>.Shared.Rent(ChunkSize);
            rest.Slice(0, take).CopyTo(_chunks[i]);
            rest = rest.Slice(take);
        }
    }

    /// <summary>The frame's whole length on the wire.</summary>
    public int Length { get; }

    /// <summary>Whether it goes in pieces (a large frame) rather than whole (a small frame keeping its place behind one).</summary>
    public bool InPieces { get; }

    /// <summary>The output pipe's bytes written before this frame: it may go only once they are sent (the order it was written in).</summary>
    public long AfterPipeBytes { get; }

    /// <summary>How many of its bytes are sent (only the send loop writes it).</summary>
    public int Sent { get; set; }

    /// <summary>Copies <paramref name="destination"/>'s length of bytes from <paramref name="offset"/> on.</summary>
    public void CopyTo(int offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var chunk = _chunks[offset / ChunkSize];
            var at = offset % ChunkSize;
            var take = Math.Min(destination.Length, Math.Min(ChunkSize - at, Length - offset));
            chunk.AsSpan(at, take).CopyTo(destination);
            destination = destination[take..];
            offset += take;
        }
    }

    /// <summary>Gives the chunks back to the pool; the frame is not read again.</summary>
    public void Release()
    {
        for (var i = 0; i < _chunks.Length; i++)
        {
            if (_chunks[i] is { } chunk)
            {
                ArrayPool<byte>.Shared.Return(chunk);
                _chunks[i] = null!;
            }
        }
    }
}
