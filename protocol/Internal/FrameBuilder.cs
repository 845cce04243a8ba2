using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace FastDht.Protocol.Internal;

/// <summary>
/// Writes one frame into an <see cref="IBufferWriter{T}"/>: the caller computes the body size, the
/// builder asks for the whole frame's span once, writes the header, then the fields, then advances.
/// </summary>
internal ref struct FrameBuilder
{
    private readonly IBufferWriter<byte> _writer;
    private readonly Span<byte> _frame;
    private int _position;

    private FrameBuilder(IBufferWriter<byte> writer, Span<byte> frame)
    {
        _writer = writer;
        _frame = frame;
        _position = ProtocolConstants.HeaderSize;
    }

    public static FrameBuilder Start(IBufferWriter<byte> writer, long bodyLength, uint requestId, Opcode opcode, FrameFlags flags, StatusCode status)
    {
        ArgumentNullException.ThrowIfNull(writer);
        long length = ProtocolConstants.LengthOverhead + bodyLength;
        if (length > ProtocolLimits.MaxFrameSizeCap)
        {
            Throw.FrameTooLarge(length);
        }

        int frameLength = sizeof(uint) + (int)length;
        Span<byte> span = writer.GetSpan(frameLength);
        if (span.Length < frameLength)
        {
            Throw.BufferWriterTooSmall(frameLength);
        }

        span = span[..frameLength];
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], requestId);
        span[8] = (byte)opcode;
        span[9] = (byte)flags;
        BinaryPrimitives.WriteUInt16LittleEndian(span[10..], (ushort)status);
        return new FrameBuilder(writer, span);
    }

    public void WriteU8(byte value) => _frame[_position++] = value;

    public void WriteU16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_frame[_position..], value);
        _position += sizeof(ushort);
    }

    public void WriteU32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_frame[_position..], value);
        _position += sizeof(uint);
    }

    public void WriteU64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_frame[_position..], value);
        _position += sizeof(ulong);
    }

    public void WriteTxnId(in TxnId txn)
    {
        txn.WriteTo(_frame[_position..]);
        _position += ProtocolConstants.TxnIdSize;
    }

    /// <summary>u16 length + bytes; the caller has checked the length.</summary>
    public void WriteKey(ReadOnlySpan<byte> key)
    {
        WriteU16((ushort)key.Length);
        WriteBytes(key);
    }

    /// <summary>u32 length + bytes.</summary>
    public void WriteValue(ReadOnlySpan<byte> value)
    {
        WriteU32((uint)value.Length);
        WriteBytes(value);
    }

    /// <summary>u16 byte count + UTF-8; <paramref name="byteCount"/> comes from <see cref="WireSize.StringBytes"/>.</summary>
    public void WriteString(string value, int byteCount)
    {
        WriteU16((ushort)byteCount);
        _position += Encoding.UTF8.GetBytes(value, _frame[_position..]);
    }

    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_frame[_position..]);
        _position += bytes.Length;
    }

    public void WriteBytes(in ReadOnlySequence<byte> bytes)
    {
        bytes.CopyTo(_frame[_position..]);
        _position += (int)bytes.Length;
    }

    public readonly void Commit()
    {
        Debug.Assert(_position == _frame.Length, "the computed frame size disagrees with the bytes written");
        _writer.Advance(_frame.Length);
    }
}
