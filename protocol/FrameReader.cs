using System.Buffers;
using System.Buffers.Binary;

namespace FastDht.Protocol;

/// <summary>Cuts native-protocol frames out of a receive buffer without copying or allocating.</summary>
public static class FrameReader
{
    /// <summary>
    /// Tries to read one frame from the start of <paramref name="buffer"/>.
    /// </summary>
    /// <returns>
    /// True: <paramref name="frame"/> holds the header and a body slice of the input, and
    /// <paramref name="buffer"/> is sliced past the frame. False with <c>error.IsNone</c>: more bytes are
    /// needed; the buffer is untouched and the caller should report <c>examined = buffer.End</c>. False
    /// with an error: the header is malformed (always <see cref="ProtocolError.IsFatal"/>); the buffer is
    /// untouched and <paramref name="frame"/>'s header holds the raw request id and opcode so the caller
    /// can address an error response before closing.
    /// </returns>
    /// <remarks>
    /// The length is checked against <see cref="ProtocolLimits.MaxFrameSize"/> as soon as the 12 header
    /// bytes are present, before any body byte is awaited. No input makes this method throw.
    /// </remarks>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, ProtocolLimits limits, out Frame frame, out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        frame = default;
        error = default;
        if (buffer.Length < ProtocolConstants.HeaderSize)
        {
            return false;
        }

        uint length;
        FrameHeader header;
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= ProtocolConstants.HeaderSize)
        {
            header = ParseHeader(first, out length);
        }
        else
        {
            // The 12 header bytes straddle segments: a rare case, copied to the stack.
            Span<byte> copy = stackalloc byte[ProtocolConstants.HeaderSize];
            buffer.Slice(0, ProtocolConstants.HeaderSize).CopyTo(copy);
            header = ParseHeader(copy, out length);
        }

        if (length < ProtocolConstants.LengthOverhead)
        {
            frame = new Frame(header, default);
            error = ProtocolError.LengthTooSmall(length);
            return false;
        }

        if (length > (uint)limits.MaxFrameSize)
        {
            frame = new Frame(header, default);
            error = ProtocolError.FrameTooLarge(length, limits.MaxFrameSize);
            return false;
        }

        if ((header.Flags & ~FrameFlags.All) != 0)
        {
            frame = new Frame(header, default);
            error = ProtocolError.ReservedFlags((byte)header.Flags);
            return false;
        }

        long frameLength = sizeof(uint) + (long)length;
        if (buffer.Length < frameLength)
        {
            return false;
        }

        ReadOnlySequence<byte> body = buffer.Slice(ProtocolConstants.HeaderSize, length - ProtocolConstants.LengthOverhead);
        frame = new Frame(
            new FrameHeader((int)(length - ProtocolConstants.LengthOverhead), header.RequestId, header.Opcode, header.Flags, header.Status),
            body);
        buffer = buffer.Slice(body.End);
        return true;
    }

    // Reads the raw fields; BodyLength is 0 here and set by the caller once the length is known valid.
    private static FrameHeader ParseHeader(ReadOnlySpan<byte> header, out uint length)
    {
        length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        return new FrameHeader(
            0,
            BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
            (Opcode)header[8],
            (FrameFlags)header[9],
            (StatusCode)BinaryPrimitives.ReadUInt16LittleEndian(header[10..]));
    }
}
