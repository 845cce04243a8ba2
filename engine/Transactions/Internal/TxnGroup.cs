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
}
