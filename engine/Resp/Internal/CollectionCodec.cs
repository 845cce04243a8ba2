using System.Buffers;
using System.Buffers.Binary;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The byte encoding of lists, hashes, sets and sorted sets as one stored value: a count, then the elements back to back.
/// </summary>
/// <remarks>
/// <code>
/// value   = LEB128 count | element*            -- count: elements (a hash's field and value are two), members (sorted set)
/// element = LEB128 length | bytes              -- list element, set member; a hash stores field element, value element
/// zentry  = f64 score (little-endian) | element -- a sorted set's members, in (score, member bytes) order
/// </code>
/// One array per collection, like Redis's listpack: no per-element object, so an element costs its bytes plus a
/// one-byte length below 128 bytes (two below 16 KiB), and the whole collection is one store entry that the log, the
/// replication stream, slot moves and transactions carry as they carry a string (the type travels in the entry's
/// metadata). The price is that every change rewrites the value in memory: O(n) in the collection's bytes per write (see
/// docs/resp-server.md, "Collections"); the log, the replicas and a slot move get only the bytes that changed
/// (docs/storage.md, "Change records"). Decoding hands out slices of the stored value, which is immutable, so a read
/// copies nothing but the slice list.
/// </remarks>
internal static class CollectionCodec
{
    /// <summary>The number of elements (a hash: twice its fields; a sorted set: its members) the value holds: O(1), read from its head.</summary>
    public static int Count(ReadOnlySpan<byte> value) => value.IsEmpty ? 0 : (int)ReadLeb(value, out _);

    /// <summary>Appends every element of a list or set value (a hash: field, value, field, value...) to <paramref name="into"/>.</summary>
    public static void Decode(ReadOnlyMemory<byte> value, List<ReadOnlyMemory<byte>> into)
    {
        if (value.IsEmpty)
            return;
        var span = value.Span;
        var count = (int)ReadLeb(span, out var at);
        into.EnsureCapacity(into.Count + count);
        for (var i = 0; i < count; i++)
        {
            var length = (int)ReadLeb(span[at..], out var used);
            at += used;
            into.Add(value.Slice(at, length));
            at += length;
        }
    }

    /// <summary>Appends every (score, member) of a sorted set value to <paramref name="into"/>, in stored order.</summary>
    public static void DecodeScored(ReadOnlyMemory<byte> value, List<ScoredMember> into)
    {
        if (value.IsEmpty)
            return;
        var span = value.Span;
        var count = (int)ReadLeb(span, out var at);
        into.EnsureCapacity(into.Count + count);
        for (var i = 0; i < count; i++)
        {
            var score = BinaryPrimitives.ReadDoubleLittleEndian(span[at..]);
            at += 8;
            var length = (int)ReadLeb(span[at..], out var used);
            at += used;
            into.Add(new ScoredMember(score, value.Slice(at, length)));
            at += length;
        }
    }

    /// <summary>The encoded size of a list, set or hash holding <paramref name="elements"/>.</summary>
    public static long SizeOf(List<ReadOnlyMemory<byte>> elements, int count)
    {
        long size = LebSize((uint)count);
        foreach (var e in elements)
            size += LebSize((uint)e.Length) + e.Length;
        return size;
    }

    /// <summary>The encoded size of a sorted set holding <paramref name="members"/>.</summary>
    public static long SizeOf(List<ScoredMember> members)
    {
        long size = LebSize((uint)members.Count);
        foreach (var m in members)
            size += 8 + LebSize((uint)m.Member.Length) + m.Member.Length;
        return size;
    }

    /// <summary>Encodes <paramref name="elements"/> (<paramref name="count"/> of them) into <paramref name="destination"/>, sized by <see cref="SizeOf(List{ReadOnlyMemory{byte}}, int)"/>.</summary>
    public static void Encode(List<ReadOnlyMemory<byte>> elements, int count, Span<byte> destination)
    {
        var at = WriteLeb(destination, (uint)count);
        foreach (var e in elements)
        {
            at += WriteLeb(destination[at..], (uint)e.Length);
            e.Span.CopyTo(destination[at..]);
            at += e.Length;
        }
    }

    /// <summary>Encodes a sorted set's members, already in order, into <paramref name="destination"/>, sized by <see cref="SizeOf(List{ScoredMember})"/>.</summary>
    public static void Encode(List<ScoredMember> members, Span<byte> destination)
    {
        var at = WriteLeb(destination, (uint)members.Count);
        foreach (var m in members)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination[at..], m.Score);
            at += 8;
            at += WriteLeb(destination[at..], (uint)m.Member.Length);
            m.Member.Span.CopyTo(destination[at..]);
            at += m.Member.Length;
        }
    }

    /// <summary>The bytes of a value's count at its head (0 for an empty value): where its elements begin.</summary>
    public static int HeaderSize(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
            return 0;
        ReadLeb(value, out var used);
        return used;
    }

    /// <summary>The encoded size of a count of <paramref name="count"/>.</summary>
    public static int CountSize(int count) => LebSize((uint)count);

    /// <summary>The encoded size of one element of <paramref name="length"/> bytes.</summary>
    public static long ElementSize(int length) => LebSize((uint)length) + length;

    /// <summary>Writes a count; returns the bytes written.</summary>
    public static int WriteCount(Span<byte> destination, int count) => WriteLeb(destination, (uint)count);

    /// <summary>Writes one element (its length, its bytes); returns the bytes written.</summary>
    public static int WriteElement(Span<byte> destination, ReadOnlySpan<byte> element)
    {
        var at = WriteLeb(destination, (uint)element.Length);
        element.CopyTo(destination[at..]);
        return at + element.Length;
    }

    /// <summary>
    /// The offset just past <paramref name="count"/> elements of a list, set or hash value starting at
    /// <paramref name="at"/>: a walk over their lengths only (one byte each below 128), nothing decoded or allocated.
    /// </summary>
    public static int Skip(ReadOnlySpan<byte> value, int at, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var b = value[at];
            if (b < 0x80)
            {
                at += 1 + b;
                continue;
            }
            var length = (int)ReadLeb(value[at..], out var used);
            at += used + length;
        }
        return at;
    }

    /// <summary>
    /// Whether a set value holds <paramref name="member"/> (or, with <paramref name="stride"/> 2, a hash holds the field:
    /// every other element from the first): a walk over the lengths, comparing bytes only where the length matches;
    /// nothing decoded or allocated. Returns the offset of the element after the match (a hash: its value), or -1.
    /// </summary>
    public static int Find(ReadOnlySpan<byte> value, ReadOnlySpan<byte> member, int stride = 1)
    {
        if (value.IsEmpty)
            return -1;
        var count = (int)ReadLeb(value, out var at);
        for (var i = 0; i < count; i += stride)
        {
            var length = (int)ReadLeb(value[at..], out var used);
            at += used;
            var next = at + length;
            if (length == member.Length && value.Slice(at, length).SequenceEqual(member))
                return next;
            at = stride == 1 ? next : Skip(value, next, stride - 1);
        }
        return -1;
    }

    /// <summary>The element at <paramref name="at"/>: where its bytes start and how many; returns the offset just past it.</summary>
    public static int ReadElement(ReadOnlySpan<byte> value, int at, out int start, out int length)
    {
        length = (int)ReadLeb(value[at..], out var used);
        start = at + used;
        return start + length;
    }

    /// <summary>A pooled buffer of at least <paramref name="size"/> bytes; give it back with <see cref="ArrayPool{T}.Return"/>.</summary>
    public static byte[] Rent(long size) => ArrayPool<byte>.Shared.Rent((int)Math.Max(1, size));

    private static uint ReadLeb(ReadOnlySpan<byte> span, out int used)
    {
        uint result = 0;
        var shift = 0;
        used = 0;
        byte b;
        do
        {
            b = span[used++];
            result |= (uint)(b & 0x7F) << shift;
            shift += 7;
        }
        while (b >= 0x80);
        return result;
    }

    private static int LebSize(uint value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            size++;
            value >>= 7;
        }
        return size;
    }

    private static int WriteLeb(Span<byte> destination, uint value)
    {
        var at = 0;
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[at++] = (byte)value;
        return at;
    }
}
