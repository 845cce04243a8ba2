using System.Buffers.Binary;

namespace FastDht.Storage.Durability.Internal;

/// <summary>Applies one record's payload to a store during recovery; a batch is checked whole before any of it is applied.</summary>
internal static class LogReplay
{
    /// <summary>False when the payload does not parse (nothing is applied then).</summary>
    public static bool TryApply(ReadOnlySpan<byte> payload, IKeyValueStore store, ApplicationRecordHandler? application)
    {
        switch (payload[0])
        {
            case LogFormat.KindPut:
            case LogFormat.KindDelete:
            case LogFormat.KindPutExpiring:
            case LogFormat.KindExpire:
            case LogFormat.KindPutTyped:
            {
                var at = 0;
                if (!TryApplyOne(payload, ref at, store, dryRun: true) || at != payload.Length)
                    return false;
                at = 0;
                return TryApplyOne(payload, ref at, store, dryRun: false);
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
                    if (!TryApplyOne(payload, ref at, store, dryRun: true))
                        return false;
                }
                if (at != payload.Length)
                    return false;
                at = 5;
                for (var i = 0; i < count; i++)
                    TryApplyOne(payload, ref at, store, dryRun: false);
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

    private static bool TryApplyOne(ReadOnlySpan<byte> payload, ref int at, IKeyValueStore store, bool dryRun)
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
}
