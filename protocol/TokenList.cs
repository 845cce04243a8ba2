using System.Buffers.Binary;

namespace FastDht.Protocol;

/// <summary>The fencing tokens of a received Lock or TxnLock response, one per requested key, in request order.</summary>
public readonly ref struct TokenList
{
    private readonly ReadOnlySpan<byte> _tokens;

    internal TokenList(ReadOnlySpan<byte> tokens)
    {
        _tokens = tokens;
    }

    /// <summary>Number of tokens.</summary>
    public int Count => _tokens.Length / sizeof(ulong);

    /// <summary>The token for the key at <paramref name="index"/> in the request.</summary>
    public ulong this[int index] => BinaryPrimitives.ReadUInt64LittleEndian(_tokens.Slice(index * sizeof(ulong), sizeof(ulong)));

    internal static bool TryRead(scoped ref BodyReader reader, out TokenList list)
    {
        list = default;
        if (!reader.TryReadCount(0, out int count) || !reader.TryReadBytes(count * sizeof(ulong), out ReadOnlySpan<byte> tokens))
        {
            return false;
        }

        list = new TokenList(tokens);
        return true;
    }
}
