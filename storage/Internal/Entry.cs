using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FastDht.Storage.Internal;

/// <summary>One stored key and value packed in a single immutable byte array: [key length][key][value], optionally after a metadata prefix.</summary>
/// <remarks>
/// <para>One array per entry, not a key array plus a value array plus a node: a byte[] costs a 24-byte
/// header (sync block 8, method table 8, length 4, padding 4) and is rounded up to 8 bytes, so a
/// 16-byte key with a 16-byte value takes 24 + 1 + 16 + 16 = 57 → 64 bytes, where two arrays and a
/// node would take 40 + 40 + 32. The key length is LEB128: one byte below 128, and a key of any
/// length still fits. The value is the tail, so its length needs no field.</para>
/// <para><b>Metadata</b> (expiry, version) goes in a prefix that only entries carrying it have:
/// <c>[0x80][0x00][flags][expiry: 8 bytes if flags bit 0][version: 8 bytes if flags bit 1][type: 1 byte if flags bit 2]</c>, then the
/// plain layout. A plain entry never starts with 0x80 0x00: that is a non-canonical LEB128 (a
/// continuation byte followed by a zero byte), which <see cref="Create(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
/// never writes. So an entry without metadata keeps exactly the old layout and size, its reads keep the
/// old one-byte fast path (a first byte below 0x80), and only entries with metadata (or keys of 128
/// bytes and more, which were already on the slow path) look further. An expiry alone costs
/// 3 + 8 = 11 bytes (16/16: 68 → 72 B), expiry and version 19 bytes (76 → 80 B); a collection's type tag alone
/// 3 + 1 = 4 bytes (a string never carries one).</para>
/// <para>Entries are never written after publication; that is what makes a snapshot safe to hold.</para>
/// </remarks>
internal static class Entry
{
    /// <summary>Bytes the runtime adds to every byte[]: sync block, method table, length and padding on 64-bit.</summary>
    public const int ArrayOverhead = 24;

    private const byte MetadataMarker0 = 0x80;
    private const byte MetadataMarker1 = 0x00;
    private const byte HasExpiryFlag = 1;
    private const byte HasVersionFlag = 2;
    private const byte HasTypeFlag = 4;

    /// <summary>Marker (2) and flags (1) of the metadata prefix.</summary>
    private const int MetadataHeader = 3;

    /// <summary>Copies a key and a value into a new entry without metadata.</summary>
    public static byte[] Create(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int header = HeaderLength(key.Length);
        byte[] entry = Allocate((long)header + key.Length + value.Length);
        WritePlain(entry, 0, key, value);
        return entry;
    }

    /// <summary>Copies a key and a value into a new entry carrying <paramref name="metadata"/> (none: the plain layout).</summary>
    public static byte[] Create(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryMetadata metadata)
    {
        if (metadata.IsNone)
        {
            return Create(key, value);
        }

        int prefix = PrefixLength(metadata);
        byte[] entry = Allocate((long)prefix + HeaderLength(key.Length) + key.Length + value.Length);
        WritePrefix(entry, metadata);
        WritePlain(entry, prefix, key, value);
        return entry;
    }

    /// <summary>A new entry with the same key and value as <paramref name="entry"/> and other metadata (EXPIRE, PERSIST).</summary>
    public static byte[] WithMetadata(byte[] entry, EntryMetadata metadata)
    {
        int start = PlainStart(entry);
        int prefix = metadata.IsNone ? 0 : PrefixLength(metadata);
        int plainLength = entry.Length - start;
        byte[] result = GC.AllocateUninitializedArray<byte>(prefix + plainLength);
        if (prefix > 0)
        {
            WritePrefix(result, metadata);
        }

        entry.AsSpan(start).CopyTo(result.AsSpan(prefix));
        return result;
    }

    /// <summary>Whether the entry holds exactly this key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool KeyEquals(byte[] entry, ReadOnlySpan<byte> key)
    {
        // Fast path, the old one: a short key without metadata has its length as the first byte.
        if (key.Length < 0x80 && entry[0] == key.Length)
        {
            return entry.AsSpan(1, key.Length).SequenceEqual(key);
        }

        return KeyEqualsSlow(entry, key);
    }

    /// <summary>The key bytes of an entry.</summary>
    public static ReadOnlySpan<byte> Key(byte[] entry)
    {
        int start = ReadKeyLength(entry, out int keyLength);
        return entry.AsSpan(start, keyLength);
    }

    /// <summary>The key bytes of an entry as memory that can outlive the caller's frame.</summary>
    public static ReadOnlyMemory<byte> KeyMemory(byte[] entry)
    {
        int start = ReadKeyLength(entry, out int keyLength);
        return new ReadOnlyMemory<byte>(entry, start, keyLength);
    }

    /// <summary>The value of an entry, as memory that can outlive the caller's frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlyMemory<byte> Value(byte[] entry)
    {
        int start = ReadKeyLength(entry, out int keyLength);
        int offset = start + keyLength;
        return new ReadOnlyMemory<byte>(entry, offset, entry.Length - offset);
    }

    /// <summary>The entry's metadata (<see cref="EntryMetadata.None"/> for a plain entry).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static EntryMetadata Metadata(byte[] entry) => HasMetadata(entry) ? ReadMetadata(entry) : default;

    /// <summary>Whether the entry has a metadata prefix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasMetadata(byte[] entry) => entry[0] == MetadataMarker0 && entry[1] == MetadataMarker1;

    /// <summary>Whether the entry carries an expiry time.</summary>
    public static bool HasExpiry(byte[] entry) => HasMetadata(entry) && (entry[2] & HasExpiryFlag) != 0;

    /// <summary>Managed bytes one entry array occupies: header plus payload, rounded up to 8.</summary>
    public static long FootprintOf(int entryLength) => AlignedArraySize(entryLength);

    /// <summary>Managed bytes of an array with this many payload bytes on 64-bit.</summary>
    public static long AlignedArraySize(long payloadBytes) => (ArrayOverhead + payloadBytes + 7) & ~7L;

    private static byte[] Allocate(long length)
    {
        if (length > Array.MaxLength)
        {
            Throw.EntryTooLarge(length);
        }

        // Uninitialized: every byte is written by the caller, so zeroing would be wasted work.
        return GC.AllocateUninitializedArray<byte>((int)length);
    }

    private static void WritePlain(byte[] entry, int at, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        uint remaining = (uint)key.Length;
        while (remaining >= 0x80)
        {
            entry[at++] = (byte)(remaining | 0x80);
            remaining >>= 7;
        }

        entry[at++] = (byte)remaining;
        key.CopyTo(entry.AsSpan(at));
        value.CopyTo(entry.AsSpan(at + key.Length));
    }

    private static int PrefixLength(EntryMetadata metadata) =>
        MetadataHeader + (metadata.HasExpiry ? sizeof(long) : 0) + (metadata.HasVersion ? sizeof(ulong) : 0) + (metadata.HasType ? 1 : 0);

    private static void WritePrefix(byte[] entry, EntryMetadata metadata)
    {
        entry[0] = MetadataMarker0;
        entry[1] = MetadataMarker1;
        int at = MetadataHeader;
        byte flags = 0;
        if (metadata.HasExpiry)
        {
            flags |= HasExpiryFlag;
            BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(at), metadata.ExpiresAt);
            at += sizeof(long);
        }

        if (metadata.HasVersion)
        {
            flags |= HasVersionFlag;
            BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(at), metadata.Version);
            at += sizeof(ulong);
        }

        if (metadata.HasType)
        {
            flags |= HasTypeFlag;
            entry[at] = (byte)metadata.Type;
        }

        entry[2] = flags;
    }

    private static EntryMetadata ReadMetadata(byte[] entry)
    {
        byte flags = entry[2];
        int at = MetadataHeader;
        long expiresAt = 0;
        ulong version = 0;
        if ((flags & HasExpiryFlag) != 0)
        {
            expiresAt = BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(at));
            at += sizeof(long);
        }

        if ((flags & HasVersionFlag) != 0)
        {
            version = BinaryPrimitives.ReadUInt64LittleEndian(entry.AsSpan(at));
            at += sizeof(ulong);
        }

        var type = (flags & HasTypeFlag) != 0 ? (EntryType)entry[at] : EntryType.String;
        return new EntryMetadata(expiresAt, version, type);
    }

    /// <summary>Offset of the plain layout ([key length][key][value]): after the metadata prefix, if any.</summary>
    private static int PlainStart(byte[] entry)
    {
        if (!HasMetadata(entry))
        {
            return 0;
        }

        byte flags = entry[2];
        return MetadataHeader + ((flags & HasExpiryFlag) != 0 ? sizeof(long) : 0) + ((flags & HasVersionFlag) != 0 ? sizeof(ulong) : 0)
            + ((flags & HasTypeFlag) != 0 ? 1 : 0);
    }

    private static bool KeyEqualsSlow(byte[] entry, ReadOnlySpan<byte> key)
    {
        // A short plain key whose length byte differs cannot match; only a metadata prefix sends us further.
        if (key.Length < 0x80 && entry[0] != MetadataMarker0)
        {
            return false;
        }

        int start = ReadKeyLength(entry, out int keyLength);
        return keyLength == key.Length && entry.AsSpan(start, keyLength).SequenceEqual(key);
    }

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
        int at = PlainStart(entry);
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
