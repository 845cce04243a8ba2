using FastDht.Engine.CommandTable;
using System.Buffers;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The commands that name several keys as a transaction's scratch keyspace runs them (RENAME, RENAMENX, COPY, MSET,
/// MSETNX, MGET), and WATCH's owner side.
/// </summary>
/// <remarks>
/// On a node, RENAME/RENAMENX/COPY always run inside a transaction (<see cref="RespTransaction"/>), which has locked
/// every key they name at its owner; there every key is in one keyspace of the transaction's own, so these are plain
/// sequences of single-key writes, with Redis's replies and errors. MSET/MSETNX/MGET outside MULTI go to the
/// coordinator directly (RespSession.Transactions.cs); these forms serve them inside MULTI.
/// </remarks>
internal static class RespTransactionCommands
{
    private static ReadOnlySpan<byte> NoSuchKey => "-ERR no such key\r\n"u8;

    private static ReadOnlySpan<byte> SameObject => "-ERR source and destination objects are the same\r\n"u8;

    private static ReadOnlySpan<byte> DbOutOfRange => "-ERR DB index is out of range\r\n"u8;

    /// <summary>Executes one of this class's commands; false when <paramref name="c"/> is not one of them.</summary>
    public static bool TryExecute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        switch (c.Kind)
        {
            case RespCommandKind.Rename:
            case RespCommandKind.RenameNx:
                Rename(c, w, keyspace, nx: c.Kind == RespCommandKind.RenameNx);
                return true;
            case RespCommandKind.Copy:
                Copy(c, w, keyspace);
                return true;
            case RespCommandKind.MSet:
                for (var i = 1; i + 1 < c.Count; i += 2)
                {
                    using var write = keyspace.BeginWrite(c.GetArgument(i), fence: null);
                    if (write.Refusal != KeyWriteRefusal.None)
                    {
                        RespKeyCommands.WriteRefused(w, write.Refusal);
                        return true;
                    }
                    write.Put(c.GetArgument(i + 1));
                    keyspace.Notify(NotifyClass.String, "set"u8, c.GetArgument(i));
                }
                RespWriter.WriteRaw(w, RespReplies.Ok);
                return true;
            case RespCommandKind.MSetNx:
                for (var i = 1; i + 1 < c.Count; i += 2)
                {
                    if (keyspace.TryGet(c.GetArgument(i), out _, out _))
                    {
                        RespWriter.WriteRaw(w, RespReplies.Zero);
                        return true;
                    }
                }
                for (var i = 1; i + 1 < c.Count; i += 2)
                {
                    using var write = keyspace.BeginWrite(c.GetArgument(i), fence: null);
                    if (write.Refusal != KeyWriteRefusal.None)
                    {
                        RespKeyCommands.WriteRefused(w, write.Refusal);
                        return true;
                    }
                    write.Put(c.GetArgument(i + 1));
                    keyspace.Notify(NotifyClass.String, "set"u8, c.GetArgument(i));
                }
                RespWriter.WriteRaw(w, RespReplies.One);
                return true;
            case RespCommandKind.MGet:
                RespWriter.WriteArrayHeader(w, c.Count - 1);
                for (var i = 1; i < c.Count; i++)
                {
                    // A collection is not a string: nil, as Redis's MGET answers.
                    if (keyspace.TryGetTyped(c.GetArgument(i), out var value, out var type) && type == Storage.EntryType.String)
                        RespWriter.WriteBulkString(w, value.Span);
                    else
                        RespKeyCommands.WriteNull(w, respVersion);
                }
                return true;
            case RespCommandKind.Watch:
                // Owner side of a WATCH sent by another node: the key's version (0 when absent).
                RespWriter.WriteInteger(w, (long)keyspace.Watch(c.GetArgument(1)));
                return true;
            default:
                return false;
        }
    }

    /// <summary>RENAME/RENAMENX: the value and its expiry move to the new name (a TTL the destination had is not kept).</summary>
    private static void Rename(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, bool nx)
    {
        var source = c.GetArgument(1);
        var destination = c.GetArgument(2);
        if (!keyspace.TryGetEntry(source, out var value, out var expiresAt, out _, out var type))
        {
            RespWriter.WriteRaw(w, NoSuchKey);
            return;
        }
        if (source.SequenceEqual(destination))
        {
            RespWriter.WriteRaw(w, nx ? RespReplies.Zero : RespReplies.Ok);
            return;
        }
        if (nx && keyspace.TryGet(destination, out _, out _))
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        using (var write = keyspace.BeginWrite(destination, fence: null))
        {
            if (write.Refusal != KeyWriteRefusal.None)
            {
                RespKeyCommands.WriteRefused(w, write.Refusal);
                return;
            }
            write.Put(value.Span, type, expiresAt);
        }
        using (var write = keyspace.BeginWrite(source, fence: null))
        {
            if (write.Refusal != KeyWriteRefusal.None)
            {
                RespKeyCommands.WriteRefused(w, write.Refusal);
                return;
            }
            write.Delete();
        }
        keyspace.Notify(NotifyClass.Generic, "rename_from"u8, source);
        keyspace.Notify(NotifyClass.Generic, "rename_to"u8, destination);
        RespWriter.WriteRaw(w, nx ? RespReplies.One : RespReplies.Ok);
    }

    /// <summary>COPY source destination [DB index] [REPLACE]: 1 when copied (value and expiry), 0 when the source is absent or the destination exists without REPLACE.</summary>
    private static void Copy(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var replace = false;
        for (var i = 3; i < c.Count; i++)
        {
            if (c.ArgumentEquals(i, "REPLACE"u8))
            {
                replace = true;
            }
            else if (c.ArgumentEquals(i, "DB"u8) && i + 1 < c.Count)
            {
                if (!c.TryGetInt64(i + 1, out var db))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return;
                }
                // One database (SELECT 0 only): any other index is out of range, as SELECT answers.
                if (db != 0)
                {
                    RespWriter.WriteRaw(w, DbOutOfRange);
                    return;
                }
                i++;
            }
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
        }
        var source = c.GetArgument(1);
        var destination = c.GetArgument(2);
        if (source.SequenceEqual(destination))
        {
            RespWriter.WriteRaw(w, SameObject);
            return;
        }
        if (!keyspace.TryGetEntry(source, out var value, out var expiresAt, out _, out var type))
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        using var write = keyspace.BeginWrite(destination, fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        if (!replace && write.TryGet(out _))
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        write.Put(value.Span, type, expiresAt);
        keyspace.Notify(NotifyClass.Generic, "copy_to"u8, destination);
        RespWriter.WriteRaw(w, RespReplies.One);
    }
}
