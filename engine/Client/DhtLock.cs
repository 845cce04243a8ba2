using FastDht.Engine.Client.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>
/// Locks held by a client on a set of keys: their fencing tokens, a way to renew the lease, and release on dispose.
/// </summary>
public sealed class DhtLock : IAsyncDisposable
{
    private readonly DhtClient _client;
    private readonly ClientConnection _connection;
    private readonly ReadOnlyMemory<byte>[] _keys;
    private int _released;

    internal DhtLock(DhtClient client, ClientConnection connection, TxnId transaction, ReadOnlyMemory<byte>[] keys, ulong[] tokens)
    {
        _client = client;
        _connection = connection;
        Transaction = transaction;
        _keys = keys;
        FencingTokens = tokens;
    }

    /// <summary>The transaction id that owns the locks (only it can release them).</summary>
    public TxnId Transaction { get; }

    /// <summary>One token per key, in the order the keys were given; each grows with every grant of its key.</summary>
    public IReadOnlyList<ulong> FencingTokens { get; }

    /// <summary>Extends the lease of every lock to <paramref name="lease"/> from now.</summary>
    /// <exception cref="DhtServerException">Status <see cref="StatusCode.NotOwner"/>: the locks are gone (the lease ran out).</exception>
    public ValueTask RenewAsync(TimeSpan lease) => _client.RenewAsync(_connection, Transaction, _keys, lease);

    /// <summary>Releases the locks (once; later calls do nothing).</summary>
    public async ValueTask UnlockAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
            await _client.UnlockAsync(_connection, Transaction, _keys).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => UnlockAsync();
}
