namespace FastDht.Engine.Client.Internal;

/// <summary>
/// One cluster member as the client knows it: its address and its current connection, opened on first use and
/// reopened on a later use after it failed (or its node said it is going away).
/// </summary>
/// <remarks>
/// Requirements: many callers may find the connection missing at once; they must share one dial, not race N dials
/// (N x ConnectTimeout against a dead host would blow every caller's deadline). Design: the first caller starts the
/// dial as a Task under a short lock, later callers await the same Task; a failed dial is not cached, so the next
/// call dials again. The open connection is read without a lock on the request path.
/// </remarks>
internal sealed class NodeHandle
{
    private readonly Lock _lock = new();
    private ClientConnection? _current;
    private Task<ClientConnection>? _opening;

    public NodeHandle(ushort nodeId, string address)
    {
        NodeId = nodeId;
        Address = address;
    }

    public ushort NodeId { get; }

    public string Address { get; }

    /// <summary>The open connection, if there is one: the request path's lock-free check.</summary>
    public bool TryGetOpen(out ClientConnection connection)
    {
        var current = Volatile.Read(ref _current);
        if (current is not null && current.CanSend)
        {
            connection = current;
            return true;
        }
        connection = null!;
        return false;
    }

    /// <summary>The open connection, dialling one (shared by concurrent callers) when there is none.</summary>
    public Task<ClientConnection> OpenAsync(ClientSettings settings, ConnectionSet owner)
    {
        lock (_lock)
        {
            if (_current is { CanSend: true } current)
                return Task.FromResult(current);
            if (_opening is { IsCompleted: false } opening)
                return opening;
            _opening = DialAsync(settings, owner);
            return _opening;
        }
    }

    /// <summary>Takes over a connection opened elsewhere (the seed the client bootstrapped from); false when one is already open.</summary>
    public bool TryAdopt(ClientConnection connection)
    {
        lock (_lock)
        {
            if (_current is { CanSend: true })
                return false;
            _current = connection;
            return true;
        }
    }

    private async Task<ClientConnection> DialAsync(ClientSettings settings, ConnectionSet owner)
    {
        // No caller's token: the dial is shared, so one caller's cancellation must not fail the others. It is
        // bounded by ConnectTimeout and the request timeout of the handshake.
        var connection = await ClientConnection.OpenAsync(Address, NodeId, settings, owner, CancellationToken.None).ConfigureAwait(false);
        lock (_lock)
            _current = connection;
        return connection;
    }
}
