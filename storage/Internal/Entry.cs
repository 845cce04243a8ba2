using System.Runtime.CompilerServices;

namespace FastDht.Storage.Internal;

/// <summary>One stored key and value packed in a single immutable byte array: [key length][key][value].</summary>
/// <remarks>
/// One array per entry, not a key array plus a value array plus a node: a byte[] costs a 24-byte
/// header (sync block 8, method table 8, length 4, padding 4) and is rounded up to 8 bytes, so a
/// 16-byte key with a 16-byte value takes 24 + 1 + 16 + 16 = 57 → 64 bytes, where two arrays and a
/// node would take 40 + 40 + 32. The key length is LEB128: one byte below 128, and a key of any
/// length still fits. The value is the tail, so its length needs no field.
/// Entries are never written after publication; that is what makes a snapshot safe to hold.
/// </remarks>
internal static class Entry
{
    /// <summary>Bytes the runtime adds to every byte[]: sync block, method table, length and padding on 64-bit.</summary>
    public const int ArrayOverhead = 24;

    /// <summary>Copies a key and a value into a new entry.</summary>
    public static byte[] Create(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int header = HeaderLength(key.Length);
        long length = (long)header + key.Length + value.Length;
        if (length > Array.MaxLength)
        {
            Throw.EntryTooLarge(length);
        }

        // Uninitialized: every byte is written below, so zeroing would be wasted work.
        byte[] entry = GC.AllocateUninitializedArray<byte>((int)length);
        uint remaining = (uint)key.Length;
        int at = 0;
        while (remaining >= 0x80)
        {
            entry[at++] = (byte)(remaining | 0x80);
            remaining >>= 7;
        }

        entry[at++] = (byte)remaining;
        key.CopyTo(entry.AsSpan(at));
        value.CopyTo(entry.AsSpan(at + key.Length));
        return entry;
    }

    /// <summary>Whether the entry holds exactly this key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool KeyEquals(byte[] entry, ReadOnlySpan<byte> key)
    {
        if (key.Length < 0x80)
        {
            // A one-byte length prefix equal to key.Length; a longer key's first byte has the high bit set.
            return entry[0] == key.Length && entry.AsSpan(1, key.Length).SequenceEqual(key);
        }

        int start = ReadKeyLength(entry, out int keyLength);
        return keyLength == key.Length && entry.AsSpan(start, keyLength).SequenceEqual(key);
    }

    /// <summary>The key bytes of an entry.</summary>
    public static ReadOnlySpan<byte> Key(byte[] entry)
    {
        int start = ReadKeyLength(entry, out int keyLength);
        return entry.AsSpan(start, keyLength);
    }

    /// <summary>The value of an entry, as memory that can outlive the caller's frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlyMemory<byte> Value(byte[] entry)
    {
        int start = ReadKeyLength(entry, out int keyLength);
        int offset = start + keyLength;
        return new ReadOnlyMemory<byte>(entry, offset, entry.Length - offset);
    }

    /// <summary>Key length of an entry (the prefix's value).</summary>
    public static int KeyLength(byte[] entry)
    {
        ReadKeyLength(entry, out int keyLength);
        return keyLength;
    }

    /// <summary>Managed bytes one entry array occupies: header plus payload, rounded up to 8.</summary>
    public static long FootprintOf(int entryLength) => AlignedArraySize(entryLength);

    /// <summary>Managed bytes of an array with this many payload bytes on 64-bit.</summary>
    public static long AlignedArraySize(long payloadBytes) => (ArrayOverhead + payloadBytes + 7) & ~7L;

    /// <summary>Reads the LEB128 key length; returns the offset of the key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadKeyLength(byte[] entry, out int keyLength)
    {
        byte first = entry[0];
        if (first < 0x80)
        {
            keyLength = first;
            return 1;
        }

        return ReadLongKeyLength(entry, out keyLength);
    }

    private static int ReadLongKeyLength(byte[] entry, out int keyLength)
    {
        uint result = 0;
        int shift = 0;
        int at = 0;
        byte b;
        do
        {
            b = entry[at++];
            result |= (uint)(b & 0x7F) << shift;
            shift += 7;
        }
        while (b >= 0x80);

        keyLength = (int)result;
        return at;
    }

    private static int HeaderLength(int keyLength)
    {
        int length = 1;
        uint remaining = (uint)keyLength;
        while (remaining >= 0x80)
        {
            length++;
            remaining >>= 7;
        }

        return length;
    }
}
