using System.Buffers;
using System.Buffers.Binary;

namespace FastDht.Storage.Durability.Internal;

/// <summary>What a replay met besides the store's changes: the highest version it stored, and the change records it skipped.</summary>
internal sealed class ReplayTally
{
    /// <summary>The highest <see cref="EntryMetadata.Version"/> a record stored (the engine hands out higher ones after recovery).</summary>
    public ulong HighestVersion;

    /// <summary>Change records whose base version the key did not hold: already in the snapshot the replay started from.</summary>
    public long SkippedChanges;

    public void Saw(ulong version)
    {
        if (version > HighestVersion)
            HighestVersion = version;
    }
}

/// <summary>Applies one record's payload to a store during recovery; a batch is checked whole before any of it is applied.</summary>
internal static class LogReplay
{
    /// <summary>False when the payload does not parse (nothing is applied then).</summary>
    public static bool TryApply(ReadOnlySpan<byte> payload, IKeyValueStore store, ApplicationRecordHandler? application, ReplayTally? tally = null)
    {
        switch (payload[0])
        {
            case LogFormat.KindPut:
            case LogFormat.KindDelete:
            case LogFormat.KindPutExpiring:
            case LogFormat.KindExpire:
            case LogFormat.KindPutTyped:
            case LogFormat.KindPutVersioned:
            case LogFormat.KindChange:
            case LogFormat.KindExpireChange:
            {
                var at = 0;
                if (!TryApplyOne(payload, ref at, store, dryRun: true, tally) || at != payload.Length)
                    return false;
                at = 0;
                return TryApplyOne(payload, ref at, store, dryRun: false, tally);
            }
            case LogFormat.KindBatch:
            {
                if (payload.Length < 5)
                    return false;
                var count = BinaryPrimitives.ReadInt32LittleEndian(payload[1..]);
                if (count < 0)
                    return false;
                // Parse all of it first: a batch is applied whole or not at all.
                var at = 5;
                for (var i = 0; i < count; i++)
                {
                    if (!TryApplyOne(payload, ref at, store, dryRun: true, tally))
                        return false;
                }
                if (at != payload.Length)
                    return false;
                at = 5;
                for (var i = 0; i < count; i++)
                    TryApplyOne(payload, ref at, store, dryRun: false, tally);
                return true;
            }
            case LogFormat.KindClear:
                if (payload.Length != 1)
                    return false;
                store.Clear();
                return true;
            case LogFormat.KindApplication:
                // Not the store's: handed to the engine, which reads its own format (and says whether it parsed).
                return application is null || application(payload[1..]);
            default:
                return false;
        }
    }

    private static bool TryApplyOne(ReadOnlySpan<byte> payload, ref int at, IKeyValueStore store, bool dryRun, ReplayTally? tally)
    {
        if (at >= payload.Length)
            return false;
        var kind = payload[at++];
        if (!LogFormat.TryReadBytes(payload, ref at, out var key) || key.IsEmpty)
            return false;
        switch (kind)
        {
            case LogFormat.KindPut:
                if (!LogFormat.TryReadBytes(payload, ref at, out var value))
                    return false;
                if (!dryRun)
                    store.Put(key, value);
                return true;
            case LogFormat.KindDelete:
                if (!dryRun)
                    store.Delete(key);
                return true;
            case LogFormat.KindPutExpiring:
            {
                if (!LogFormat.TryReadBytes(payload, ref at, out var expiringValue) || payload.Length - at < 8)
                    return false;
                var expiresAt = BinaryPrimitives.ReadInt64LittleEndian(payload[at..]);
                at += 8;
                if (!dryRun)
                    store.Put(key, expiringValue, EntryMetadata.Expiring(expiresAt));
                return true;
            }
            case LogFormat.KindPutTyped:
            {
                if (!LogFormat.TryReadBytes(payload, ref at, out var typedValue) || payload.Length - at < 9)
                    return false;
                var type = (EntryType)payload[at];
                var expiresAt = BinaryPrimitives.ReadInt64LittleEndian(payload[(at + 1)..]);
                at += 9;
                if (!Enum.IsDefined(type))
                    return false;
                if (!dryRun)
                    store.Put(key, typedValue, EntryMetadata.Typed(type, expiresAt));
                return true;
            }
            case LogFormat.KindPutVersioned:
            {
                if (!LogFormat.TryReadBytes(payload, ref at, out var versionedValue) || payload.Length - at < 17)
                    return false;
                var type = (EntryType)payload[at];
                var expiresAt = BinaryPrimitives.ReadInt64LittleEndian(payload[(at + 1)..]);
                var version = BinaryPrimitives.ReadUInt64LittleEndian(payload[(at + 9)..]);
                at += 17;
                if (!Enum.IsDefined(type))
                    return false;
                if (!dryRun)
                {
                    store.Put(key, versionedValue, new EntryMetadata(expiresAt, version, type));
                    tally?.Saw(version);
                }
                return true;
            }
            case LogFormat.KindChange:
            {
                if (payload.Length - at < 16)
                    return false;
                var baseVersion = BinaryPrimitives.ReadUInt64LittleEndian(payload[at..]);
                var version = BinaryPrimitives.ReadUInt64LittleEndian(payload[(at + 8)..]);
                var delta = payload[(at + 16)..];
                at = payload.Length; // the delta runs to the end of the record: a change is never inside a batch
                if (!ValueDelta.IsWellFormed(delta))
                    return false;
                if (!dryRun)
                    return ApplyChange(store, key, baseVersion, version, delta, tally);
                return true;
            }
            case LogFormat.KindExpireChange:
            {
                if (payload.Length - at < 24)
                    return false;
                var expiresAt = BinaryPrimitives.ReadInt64LittleEndian(payload[at..]);
                var baseVersion = BinaryPrimitives.ReadUInt64LittleEndian(payload[(at + 8)..]);
                var version = BinaryPrimitives.ReadUInt64LittleEndian(payload[(at + 16)..]);
                at += 24;
                if (dryRun)
                    return true;
                tally?.Saw(version);
                // As a change record: only the value of its base version, else the snapshot already holds it.
                if (store.TryGet(key, out var current, out var metadata) && metadata.Version == baseVersion)
                    store.TryReplaceMetadata(key, current, new EntryMetadata(expiresAt, version, metadata.Type));
                else if (tally is not null)
                    tally.SkippedChanges++;
                return true;
            }
            case LogFormat.KindExpire:
            {
                if (payload.Length - at < 8)
                    return false;
                var expiresAt = BinaryPrimitives.ReadInt64LittleEndian(payload[at..]);
                at += 8;
                // Replay is single-threaded: the snapshot read is the one the swap compares against.
                if (!dryRun && store.TryGet(key, out var current, out var metadata))
                    store.TryReplaceMetadata(key, current, metadata.WithExpiry(expiresAt));
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>
    /// A change record: applied only to the value of its base version (versions are never reused, so that value is the
    /// very one the delta was computed from); skipped when the key holds another version, which a snapshot read after
    /// the change already reflects (docs/storage.md, "Change records"). False when the delta does not fit the value.
    /// </summary>
    private static bool ApplyChange(IKeyValueStore store, ReadOnlySpan<byte> key, ulong baseVersion, ulong version, ReadOnlySpan<byte> delta, ReplayTally? tally)
    {
        tally?.Saw(version);
        if (!store.TryGet(key, out var current, out var metadata) || metadata.Version != baseVersion)
        {
            if (tally is not null)
                tally.SkippedChanges++;
            return true;
        }
        ValueDelta.TryGetNewLength(delta, out var length);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            if (!ValueDelta.TryApply(current.Span, delta, buffer.AsSpan(0, length)))
                return false;
            store.Put(key, buffer.AsSpan(0, length), metadata.WithVersion(version));
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
