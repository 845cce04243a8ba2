using System.Buffers;
using System.Buffers.Binary;
using FastDht.Storage.Durability.Internal;

namespace FastDht.Storage.Durability;

/// <summary>
/// The writes of one transaction, gathered into one log record so that recovery applies them whole or not at all.
/// Reusable: <see cref="Clear"/> keeps the buffer.
/// </summary>
public sealed class LogBatch
{
    // 4 KiB: a few dozen small writes without growing; a batch that once held far more gives its buffer back.
    private const int InitialSize = 4096;
    private const int RetainLimit = 1 << 20;

    private byte[] _buffer = [];
    private int _length;

    /// <summary>How many writes the batch holds.</summary>
    public int Count { get; private set; }

    /// <summary>The payload as the log stores it (kind, count, writes).</summary>
    internal ReadOnlySpan<byte> Payload
    {
        get
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(1), Count);
            return _buffer.AsSpan(0, _length);
        }
    }

    /// <summary>Adds an upsert of <paramref name="key"/>.</summary>
    public void AddPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var span = Grow(1 + 4 + key.Length + 4 + value.Length);
        span[0] = LogFormat.KindPut;
        var at = 1 + LogFormat.WriteBytes(span[1..], key);
        LogFormat.WriteBytes(span[at..], value);
        Count++;
    }

    /// <summary>Adds an upsert of <paramref name="key"/> whose value expires at <paramref name="expiresAt"/> (unix ms).</summary>
    public void AddPutExpiring(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expiresAt)
    {
        var span = Grow(1 + 4 + key.Length + 4 + value.Length + 8);
        span[0] = LogFormat.KindPutExpiring;
        var at = 1 + LogFormat.WriteBytes(span[1..], key);
        at += LogFormat.WriteBytes(span[at..], value);
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], expiresAt);
        Count++;
    }

    /// <summary>Adds an upsert of a collection: its encoded value, <paramref name="type"/> and expiry (0: none).</summary>
    public void AddPutTyped(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryType type, long expiresAt)
    {
        if (type == EntryType.String)
        {
            if (expiresAt == 0)
                AddPut(key, value);
            else
                AddPutExpiring(key, value, expiresAt);
            return;
        }
        LogFormat.WritePutTypedBody(Grow(LogFormat.PutTypedPayloadSize(key.Length, value.Length)), key, value, type, expiresAt);
        Count++;
    }

    /// <summary>Adds a removal of <paramref name="key"/>.</summary>
    public void AddDelete(ReadOnlySpan<byte> key)
    {
        var span = Grow(1 + 4 + key.Length);
        span[0] = LogFormat.KindDelete;
        LogFormat.WriteBytes(span[1..], key);
        Count++;
    }

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear()
    {
        Count = 0;
        _length = 0;
        if (_buffer.Length > RetainLimit)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private Span<byte> Grow(int size)
    {
        if (_length == 0)
        {
            Ensure(5 + size);
            _buffer[0] = LogFormat.KindBatch;
            _length = 5;
        }
        else
        {
            Ensure(_length + size);
        }
        var span = _buffer.AsSpan(_length, size);
        _length += size;
        return span;
    }

    private void Ensure(int needed)
    {
        if (needed <= _buffer.Length)
            return;
        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(InitialSize, _buffer.Length * 2)));
        _buffer.AsSpan(0, _length).CopyTo(grown);
        if (_buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }
}
