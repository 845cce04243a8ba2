using System.IO.Pipelines;
using System.Net;
using FastDht.Engine.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// An authenticated connection between two voters, as the Raft library's transport sees it: the socket connection's
/// input (noting each read in <see cref="RaftContacts"/>) and a writer over its output (<see cref="ConnectionOutput"/>).
/// </summary>
internal sealed class ConsensusConnection : ConnectionContext
{
    private readonly SocketConnection _connection;

    public ConsensusConnection(SocketConnection connection, ushort peerId, RaftContacts contacts)
    {
        _connection = connection;
        PeerId = peerId;
        Transport = new Duplex(new ContactReader(connection.Input, contacts, peerId), new ConnectionOutput(connection));
        ConnectionId = $"consensus-{peerId}-{connection.RemoteEndPoint}";
        LocalEndPoint = connection.LocalEndPoint;
        RemoteEndPoint = connection.RemoteEndPoint;
    }

    /// <summary>The voter at the other end.</summary>
    public ushort PeerId { get; }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get => _connection.ConnectionClosed;
        set { }
    }

    public override void Abort(ConnectionAbortedException abortReason) => _connection.Abort(abortReason);

    public override void Abort() => _connection.Abort();

    public override async ValueTask DisposeAsync()
    {
        _connection.Abort();
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
