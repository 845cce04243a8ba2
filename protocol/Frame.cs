using System.Buffers;

namespace FastDht.Protocol;

/// <summary>One received frame: its header and its body, a slice of the receive buffer (not a copy).</summary>
/// <remarks>
/// The body is only valid until the caller advances the pipe past it; copy what must outlive that.
/// </remarks>
public readonly struct Frame
{
    public Frame(FrameHeader header, ReadOnlySequence<byte> body)
    {
        Header = header;
        Body = body;
    }

    /// <summary>The decoded header.</summary>
    public FrameHeader Header { get; }

    /// <summary>The body bytes, a slice of the input buffer.</summary>
    public ReadOnlySequence<byte> Body { get; }

    /// <summary>
    /// The body as one span: the buffer's own memory when the body is in one segment, otherwise a copy
    /// into <paramref name="scratch"/>, which must hold at least <see cref="FrameHeader.BodyLength"/> bytes
    /// (rent it from a pool).
    /// </summary>
    public ReadOnlySpan<byte> GetBodySpan(Span<byte> scratch)
    {
        if (Body.IsSingleSegment)
        {
            return Body.FirstSpan;
        }

        int length = (int)Body.Length;
        if (scratch.Length < length)
        {
            Internal.Throw.ScratchTooSmall(length);
        }

        Body.CopyTo(scratch);
        return scratch[..length];
    }
}
