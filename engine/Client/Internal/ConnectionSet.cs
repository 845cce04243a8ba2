namespace FastDht.Engine.Client.Internal;

/// <summary>
/// Every open connection of one client, so the sweeper can time out their requests and disposal can close them all,
/// including connections still in their handshake.
/// </summary>
internal sealed class ConnectionSet
{
    private readonly Lock _lock = new();
    private readonly List<ClientConnection> _connections = [];
    private ClientConnection[] _sweepBuffer = [];
    private int _sweeping;
    private bool _closed;

    /// <summary>Adds a new connection; false once the client is disposed.</summary>
    public bool TryAdd(ClientConnection connection)
    {
        lock (_lock)
        {
            if (_closed)
                return false;
            _connections.Add(connection);
            return true;
        }
    }

    public void Remove(ClientConnection connection)
    {
        lock (_lock)
            _connections.Remove(connection);
    }

    /// <summary>Fails every request whose deadline has passed, on every connection, and pings connections idle for <paramref name="keepAlive"/>. Called by the client's timer.</summary>
    public void SweepExpired(long nowTicks, string message, TimeSpan requestTimeout, TimeSpan keepAlive)
    {
        // Timer callbacks may overlap when one runs long; one sweep at a time is enough.
        if (Interlocked.Exchange(ref _sweeping, 1) != 0)
            return;
        try
        {
            int count;
            lock (_lock)
            {
                count = _connections.Count;
                if (_sweepBuffer.Length < count)
                    _sweepBuffer = new ClientConnection[Math.Max(count, _sweepBuffer.Length * 2)];
                _connections.CopyTo(_sweepBuffer);
            }
            // Outside the lock: failing a request may run its continuation inline (InlineContinuations).
            for (var i = 0; i < count; i++)
            {
                var connection = _sweepBuffer[i];
                _sweepBuffer[i] = null!;
                // Nothing sent or received for the keep-alive interval: a ping, so the node never closes the
                // connection as idle under a caller about to use it (the node closes only connections owed nothing).
                if (keepAlive > TimeSpan.Zero && !connection.IsRetiring && connection.Requests.Count == 0 && nowTicks - connection.LastActivityTicks > (long)keepAlive.TotalMilliseconds)
                    connection.KeepAlive();
                var expired = connection.Requests.FailExpired(nowTicks, message);
                // A retiring connection whose last requests just timed out closes now (an answer would have closed it).
                connection.CloseIfRetiredAndIdle();
                if (expired > 0
                    && nowTicks - connection.LastReceiveTicks > (long)requestTimeout.TotalMilliseconds)
                {
                    // Requests timed out and nothing at all came back for a whole timeout: the node is frozen, not
                    // slow. Abort, so callers queued behind a flush it will never drain are released too; the next
                    // call redials.
                    connection.Connection.Abort(new TimeoutException($"{message}; nothing received for {requestTimeout.TotalMilliseconds:0} ms"));
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>How many open connections there are, and how many of them FastDht's epoll engine serves (tests).</summary>
    internal (int Open, int OnEpoll) CountEngines()
    {
        lock (_lock)
        {
            var onEpoll = 0;
            foreach (var connection in _connections)
            {
                if (connection.Connection.IsServedByEpoll)
                    onEpoll++;
            }
            return (_connections.Count, onEpoll);
        }
    }

    /// <summary>Refuses new connections and returns the open ones, for disposal to close.</summary>
    public ClientConnection[] CloseAll()
    {
        lock (_lock)
        {
            _closed = true;
            return [.. _connections];
        }
    }
}
