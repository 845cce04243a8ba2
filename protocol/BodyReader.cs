using System.Buffers.Binary;
using System.Text.Unicode;

namespace FastDht.Protocol;

/// <summary>
/// Reads the fields of a frame body in order; every TryRead returns false on malformed input and
/// leaves the reason in <see cref="Error"/>, never throwing whatever the bytes are.
/// </summary>
/// <remarks>
/// A failed read leaves the position where it was. A body is complete only when
/// <see cref="TryReadEnd"/> succeeds: trailing bytes are an error.
/// </remarks>
public ref struct BodyReader
{
    private readonly ReadOnlySpan<byte> _body;
    private int _position;
    private ProtocolError _error;

    public BodyReader(ReadOnlySpan<byte> body)
    {
        _body = body;
        _position = 0;
        _error = default;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _body.Length - _position;

    /// <summary>Why the last TryRead failed; <see cref="ProtocolError.IsNone"/> while all reads succeed.</summary>
    public readonly ProtocolError Error => _error;

    public bool TryReadU8(out byte value)
    {
        if (_position >= _body.Length)
        {
            value = 0;
            return Truncated(1);
        }

        value = _body[_position++];
        return true;
    }

    public bool TryReadU16(out ushort value)
    {
        if (!BinaryPrimitives.TryReadUInt16LittleEndian(_body[_position..], out value))
        {
            return Truncated(sizeof(ushort));
        }

        _position += sizeof(ushort);
        return true;
    }

    public bool TryReadU32(out uint value)
    {
        if (!BinaryPrimitives.TryReadUInt32LittleEndian(_body[_position..], out value))
        {
            return Truncated(sizeof(uint));
        }

        _position += sizeof(uint);
        return true;
    }

    public bool TryReadU64(out ulong value)
    {
        if (!BinaryPrimitives.TryReadUInt64LittleEndian(_body[_position..], out value))
        {
            return Truncated(sizeof(ulong));
        }

        _position += sizeof(ulong);
        return true;
    }

    /// <summary>Reads an enumerated byte whose defined values are 0..<paramref name="max"/>.</summary>
    public bool TryReadEnum(byte max, out byte value)
    {
        int start = _position;
        if (!TryReadU8(out value))
        {
            return false;
        }

        if (value > max)
        {
            _position = start;
            return Fail(ProtocolError.OutOfRange(start, value, max));
        }

        return true;
    }

    /// <summary>Reads a 16-byte TxnId; the reserved field must be 0.</summary>
    public bool TryReadTxnId(out TxnId value)
    {
        ReadOnlySpan<byte> rest = _body[_position..];
        if (rest.Length < ProtocolConstants.TxnIdSize)
        {
            value = default;
            return Truncated(ProtocolConstants.TxnIdSize);
        }

        ushort reserved = BinaryPrimitives.ReadUInt16LittleEndian(rest[10..]);
        if (reserved != 0)
        {
            value = default;
            return Fail(ProtocolError.ReservedField(_position + 10, reserved));
        }

        value = new TxnId(
            BinaryPrimitives.ReadUInt64LittleEndian(rest),
            BinaryPrimitives.ReadUInt16LittleEndian(rest[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(rest[12..]));
        _position += ProtocolConstants.TxnIdSize;
        return true;
    }

    /// <summary>Reads a key: u16 length (1..<paramref name="maxKeySize"/>) + bytes.</summary>
    public bool TryReadKey(int maxKeySize, out ReadOnlySpan<byte> key)
    {
        int start = _position;
        if (!TryReadU16(out ushort length))
        {
            key = default;
            return false;
        }

        if (length == 0 || length > maxKeySize)
        {
            _position = start;
            key = default;
            return Fail(ProtocolError.InvalidKey(start, length, maxKeySize));
        }

        return TryReadBytesAfterPrefix(start, length, out key);
    }

    /// <summary>Reads a value: u32 length + bytes; the length is bounded by what remains of the body.</summary>
    public bool TryReadValue(out ReadOnlySpan<byte> value)
    {
        int start = _position;
        if (!TryReadU32(out uint length))
        {
            value = default;
            return false;
        }

        if (length > (uint)Remaining)
        {
            _position = start;
            value = default;
            return Fail(ProtocolError.Truncated(_position + sizeof(uint), length, Remaining - sizeof(uint)));
        }

        return TryReadBytesAfterPrefix(start, (int)length, out value);
    }

    /// <summary>Reads a string: u16 byte length + UTF-8 bytes, which must be valid UTF-8.</summary>
    public bool TryReadString(out ReadOnlySpan<byte> utf8)
    {
        int start = _position;
        if (!TryReadU16(out ushort length) || !TryReadBytesAfterPrefix(start, length, out utf8))
        {
            utf8 = default;
            return false;
        }

        if (!Utf8.IsValid(utf8))
        {
            _position = start;
            utf8 = default;
            return Fail(ProtocolError.InvalidString(start));
        }

        return true;
    }

    /// <summary>Reads a u16 count, failing when it is below <paramref name="minimum"/> (0 or 1).</summary>
    public bool TryReadCount(int minimum, out int count)
    {
        int start = _position;
        if (!TryReadU16(out ushort raw))
        {
            count = 0;
            return false;
        }

        if (raw < minimum)
        {
            _position = start;
            count = 0;
            return Fail(ProtocolError.EmptyList(start));
        }

        count = raw;
        return true;
    }

    /// <summary>Reads exactly <paramref name="length"/> raw bytes.</summary>
    public bool TryReadBytes(int length, out ReadOnlySpan<byte> bytes)
    {
        if (length < 0 || length > Remaining)
        {
            bytes = default;
            return Truncated(length);
        }

        bytes = _body.Slice(_position, length);
        _position += length;
        return true;
    }

    /// <summary>Consumes and returns everything that remains.</summary>
    public ReadOnlySpan<byte> ReadRemaining()
    {
        ReadOnlySpan<byte> rest = _body[_position..];
        _position = _body.Length;
        return rest;
    }

    /// <summary>Succeeds only when the whole body has been consumed.</summary>
    public bool TryReadEnd()
    {
        int remaining = Remaining;
        return remaining == 0 || Fail(ProtocolError.TrailingBytes(_position, remaining));
    }

    /// <summary>The bytes consumed from <paramref name="start"/> up to the current position.</summary>
    internal readonly ReadOnlySpan<byte> ConsumedSince(int start) => _body[start.._position];

    /// <summary>Records <paramref name="error"/> and returns false, for decoders built on this reader.</summary>
    public bool Fail(ProtocolError error)
    {
        _error = error;
        return false;
    }

    private bool TryReadBytesAfterPrefix(int prefixStart, int length, out ReadOnlySpan<byte> bytes)
    {
        if (length > Remaining)
        {
            int remaining = Remaining;
            int dataStart = _position;
            _position = prefixStart;
            bytes = default;
            return Fail(ProtocolError.Truncated(dataStart, length, remaining));
        }

        bytes = _body.Slice(_position, length);
        _position += length;
        return true;
    }

    private bool Truncated(long needed) => Fail(ProtocolError.Truncated(_position, needed, Remaining));
}
