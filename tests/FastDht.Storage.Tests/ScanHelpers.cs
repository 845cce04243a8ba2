using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace FastDht.Storage.Tests;

/// <summary>Visitors and slot functions shared by the enumeration tests.</summary>
internal static class ScanHelpers
{
    /// <summary>A deterministic slot function that is not the store's own hash: CRC32 of the key, mod 16384.</summary>
    public static int Crc32Slot(ReadOnlySpan<byte> key) => (int)(Crc32.HashToUInt32(key) & (StoreOptions.SlotCount - 1));

    /// <summary>Keys "hot:..." all land in slot 7 (a hash tag shared by many keys); others as <see cref="Crc32Slot"/>.</summary>
    public static int HotSlot(ReadOnlySpan<byte> key) => key.StartsWith("hot:"u8) ? 7 : Crc32Slot(key);

    /// <summary>Runs a whole enumeration, returning every key visited (duplicates kept) with its reported slot.</summary>
    public static List<(string Key, int Slot)> ScanAll(IKeyValueStore store, SlotRange range, int count, bool onlyWithExpiry = false)
    {
        var visitor = new CollectingVisitor { Seen = [] };
        ulong cursor = 0;
        int batches = 0;
        do
        {
            cursor = store.Scan(cursor, range, count, ref visitor, onlyWithExpiry);
            Assert.True(++batches < 10_000_000, "the enumeration did not finish");
        }
        while (cursor != 0);

        return visitor.Seen;
    }

    /// <summary>Collects visited keys as strings, checking that each value is the one written for its key.</summary>
    public struct CollectingVisitor : IStoreEntryVisitor
    {
        public List<(string Key, int Slot)> Seen;

        public readonly void Visit(in StoreEntry entry) => Seen.Add((Encoding.ASCII.GetString(entry.Key.Span), entry.Slot));
    }

    /// <summary>Counts entries and bytes: the allocation-free shape a real consumer has.</summary>
    public struct CountingVisitor : IStoreEntryVisitor
    {
        public long Entries;
        public long Bytes;

        public void Visit(in StoreEntry entry)
        {
            Entries++;
            Bytes += entry.Key.Length + entry.Value.Length + (entry.Metadata.HasExpiry ? 1 : 0);
        }
    }

    public static long ReadLong(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadInt64LittleEndian(value);
}
