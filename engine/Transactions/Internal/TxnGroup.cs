using FastDht.Protocol;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>The keys of one transaction that one node owns, with their grants' tokens and (for a write) their values.</summary>
internal sealed class TxnGroup
{
    public TxnGroup(ushort node, int[] indexes, ReadOnlyMemory<byte>[] keys, ReadOnlyMemory<byte>[]? values)
    {
        Node = node;
        Indexes = indexes;
        Keys = keys;
        Values = values;
        Tokens = new long[keys.Length];
    }

    public ushort Node { get; }

    /// <summary>Where each key of the group sits in the transaction's request, to answer in request order.</summary>
    public int[] Indexes { get; }

    public ReadOnlyMemory<byte>[] Keys { get; }

    public ReadOnlyMemory<byte>[]? Values { get; }

    public long[] Tokens { get; }

    /// <summary>
    /// The effects a read-modify-write transaction (EXEC, RENAME, COPY) decided for this group's keys, by position in
    /// <see cref="Keys"/> (null: the key is left as it is); null for a MultiPut, which writes <see cref="Values"/>.
    /// </summary>
    public TxnEffect?[]? Effects { get; set; }

    /// <summary>This group's writes with their fencing tokens, for its participant's prepare.</summary>
    public TxnWrite[] BuildWrites()
    {
        if (Effects is null)
        {
            var writes = new TxnWrite[Keys.Length];
            for (var k = 0; k < writes.Length; k++)
                writes[k] = new TxnWrite(Keys[k], Values![k], (ulong)Tokens[k]);
            return writes;
        }
        var count = 0;
        foreach (var e in Effects)
        {
            if (e is not null)
                count++;
        }
        var changed = new TxnWrite[count];
        var n = 0;
        for (var k = 0; k < Effects.Length; k++)
        {
            if (Effects[k] is { } e)
                changed[n++] = new TxnWrite(Keys[k], e.Value, (ulong)Tokens[k], e.Kind, e.ExpiresAt, e.Type);
        }
        return changed;
    }
}
