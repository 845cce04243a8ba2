using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// The Raft library's listener: it does not own a socket. Connections arrive on the node's native port, pass the peer
/// handshake there (Hello with role Consensus, then the cluster-secret proof) and are queued here for the library.
/// </summary>
/// <remarks>
/// The queue is bounded (a few per voter): a peer that opens connections faster than the library takes them gets
/// them closed, so an authenticated but misbehaving voter cannot make this node buffer sockets without limit.
/// </remarks>
internal sealed class ConsensusListener(EndPoint endPoint) : IConnectionListener
{
    private readonly Channel<ConsensusConnection> _accepted = Channel.CreateBounded<ConsensusConnection>(
        new BoundedChannelOptions(32) { FullMode = BoundedChannelFullMode.Wait, SingleReader = false });

    public EndPoint EndPoint { get; } = endPoint;

    /// <summary>Queues an authenticated connection; false (the caller closes it) when the listener is unbound or full.</summary>
    public bool TryOffer(ConsensusConnection connection) => _accepted.Writer.TryWrite(connection);

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _accepted.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out var left))
            await left.DisposeAsync().ConfigureAwait(false);
    }
}
