using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastDht.Protocol;

namespace FastDht.TestUtilities;

/// <summary>A TCP proxy on 127.0.0.1 that tests put between a client and a node (or two nodes) to cut, refuse,
/// stall, delay, corrupt or truncate their traffic, or hold back some of its frames.</summary>
/// <remarks>
/// <para>
/// Each accepted connection is paired with a new connection to the target and relayed both ways in chunks of up
/// to 16 KiB, exactly as the bytes arrive: a fault that works on chunks (<see cref="Delay"/>, <see cref="Corrupt"/>)
/// sees TCP's segmentation, not the protocol's frames. Faults are off by default, apply from the next chunk on to
/// open and new connections alike, and stay set until changed or <see cref="ClearFaults"/>.
/// </para>
/// <para>
/// In the spirit of the NATS .NET client's <c>NatsProxy</c>, but protocol-agnostic. It is test code: plain socket
/// async APIs, clarity over speed. Every wait it offers is bounded by a timeout, and disposal resets every
/// connection and waits for every pump to end, so <see cref="OpenSockets"/> is 0 afterwards.
/// </para>
/// </remarks>
public sealed class LoopbackProxy : IAsyncDisposable
{
    // 10 s: a loopback connect succeeds or is refused at once; this only bounds a wedged machine.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly HashSet<ProxyPair> _pairs = [];
    private TaskCompletionSource _changed = NewSignal();
    private Task _acceptLoop = Task.CompletedTask;
    private bool _disposed;
    private volatile bool _refuse;
    private int _frozenDialer = -1;
    private int _handlers;    // accepted connections still connecting upstream or pumping
    private int _openSockets;
    private long _totalConnections;
    private long _refused;
    private long _upstreamFailures;
    private Exception? _unexpectedError;

    private LoopbackProxy(Socket listener, IPEndPoint target)
    {
        _listener = listener;
        _target = target;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    /// <summary>Where clients connect: 127.0.0.1 and a port the system chose.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Where the proxy connects on behalf of each client.</summary>
    public IPEndPoint Target => _target;

    /// <summary>Proxied connections currently open (both sockets connected, not yet closed).</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_gate)
            {
                return _pairs.Count;
            }
        }
    }

    /// <summary>Connections proxied since start, including closed ones: a reconnecting client raises it.</summary>
    public long TotalConnections => Interlocked.Read(ref _totalConnections);

    /// <summary>Connections accepted and reset at once because of <see cref="Refuse"/>.</summary>
    public long RefusedConnections => Interlocked.Read(ref _refused);

    /// <summary>Connections accepted and reset because the target could not be reached.</summary>
    public long UpstreamFailures => Interlocked.Read(ref _upstreamFailures);

    /// <summary>Sockets the proxy has open, accepted and upstream: 0 after disposal when nothing leaked.</summary>
    public int OpenSockets => Volatile.Read(ref _openSockets);

    /// <summary>Bytes written to the target so far, after any transform.</summary>
    public long BytesClientToServer => ClientToServerFaults.Forwarded;

    /// <summary>Bytes written back to clients so far, after any transform.</summary>
    public long BytesServerToClient => ServerToClientFaults.Forwarded;

    /// <summary>Chunks read but held back by <see cref="Stall"/>, across all connections and both directions.</summary>
    /// <remarks>Lets a test know the stalled bytes reached the proxy, so their absence downstream is meaningful.</remarks>
    public int HeldChunks => ClientToServerFaults.Held + ServerToClientFaults.Held;

    /// <summary>The first error a pump hit that was not the network's doing (a throwing transform); null if none.</summary>
    public Exception? UnexpectedError => Volatile.Read(ref _unexpectedError);

    internal DirectionFaults ClientToServerFaults { get; } = new();

    internal DirectionFaults ServerToClientFaults { get; } = new();

    /// <summary>The stall of <see cref="FreezeDialer"/>: set while a dialer is frozen.</summary>
    internal DirectionFaults DialerFaults { get; } = new();

    /// <summary>The node whose connections <see cref="FreezeDialer"/> holds (-1: none).</summary>
    internal int FrozenDialer => Volatile.Read(ref _frozenDialer);

    /// <summary>Starts a proxy on 127.0.0.1 port 0 that relays every connection to <paramref name="target"/>.</summary>
    public static LoopbackProxy Start(IPEndPoint target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            // 128: more than any test opens at once, so no connect waits on the backlog.
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        var proxy = new LoopbackProxy(listener, target);
        proxy._acceptLoop = proxy.AcceptLoopAsync();
        return proxy;
    }

    /// <summary>Resets every open connection on both sides (RST, as a crashed host or a dropped route looks).</summary>
    /// <remarks>The proxy keeps listening: new connections are relayed as before unless <see cref="Refuse"/> is on.</remarks>
    public void CutAll()
    {
        foreach (ProxyPair pair in SnapshotPairs())
        {
            pair.Close(reset: true);
        }
    }

    /// <summary>When on, new connections are accepted and reset at once, never reaching the target.</summary>
    /// <remarks>
    /// The kernel completes the TCP handshake before the proxy accepts, so a client's connect succeeds and the reset
    /// shows at its first read or write (or, when it races the connect's completion, as a reset from the connect).
    /// Open connections are untouched; combine with <see cref="CutAll"/> to model a node going away.
    /// </remarks>
    public void Refuse(bool refuse) => _refuse = refuse;

    /// <summary>
    /// When on, stalls and delays leave alone the connections that open with a native Hello of role
    /// <see cref="FastDht.Protocol.NodeRole.Consensus"/>: the Raft group's own connections (docs/replication.md), so a
    /// test can freeze a peer link without also holding elections and their leader lease. Off by default: a frozen
    /// host freezes everything.
    /// </summary>
    /// <remarks>Lease renewals and everything else of the cluster's still travel on the peer links and are held.</remarks>
    public bool SparesConsensus { get; set; }

    /// <summary>
    /// Holds, both ways, the connections node <paramref name="nodeId"/> dialed (those that open with its native Hello:
    /// peer links and Raft connections alike), and only those; null releases them. With <see cref="Stall"/> on that
    /// node's own proxy, a whole node freezes while the others still talk to each other: a paused or starved process as
    /// its peers see it (its host still accepts connections).
    /// </summary>
    public void FreezeDialer(ushort? nodeId)
    {
        Volatile.Write(ref _frozenDialer, nodeId ?? -1);
        DialerFaults.SetStall(nodeId is not null);
    }

    /// <summary>When on, stops forwarding in <paramref name="direction"/> but keeps the sockets open: a frozen peer.</summary>
    /// <remarks>
    /// Each pump holds the chunk it read (see <see cref="HeldChunks"/>) and reads no more, so TCP back-pressure
    /// reaches the sender once the buffers fill. An end of stream is held too. Turning it off releases everything
    /// in order.
    /// </remarks>
    public void Stall(bool stall, ProxyDirection direction = ProxyDirection.Both)
    {
        ForEach(direction, stall, static (faults, value) => faults.SetStall(value));
    }

    /// <summary>Waits <paramref name="latency"/> before forwarding each chunk in <paramref name="direction"/>; zero turns it off.</summary>
    /// <remarks>Chunks of one connection stay in order; the delay adds up over chunks, so keep it small for bulk traffic.</remarks>
    public void Delay(TimeSpan latency, ProxyDirection direction = ProxyDirection.Both)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latency, TimeSpan.Zero);
        ForEach(direction, latency, static (faults, value) => faults.Delay = value);
    }

    /// <summary>
    /// Holds back the native-protocol frames in <paramref name="direction"/> whose header matches
    /// <paramref name="hold"/>, forwarding every other frame as it comes (a request that is lost for a while, on a link
    /// that stays alive: heartbeats, lease renewals and answers still pass); null lifts the hold.
    /// </summary>
    /// <remarks>
    /// Connections of the Raft group (a Hello of role Consensus) and connections whose bytes stop parsing as frames are
    /// left alone. A held frame is forwarded, in order, just before the next bytes that connection carries after the
    /// hold is lifted (peer links carry a heartbeat every interval); it is lost if the connection closes first.
    /// <see cref="HeldFrames"/> counts what is held now.
    /// </remarks>
    public void HoldFrames(Func<FrameHeader, bool>? hold, ProxyDirection direction = ProxyDirection.Both)
    {
        ForEach(direction, hold, static (faults, value) => faults.HoldFrames = value);
    }

    /// <summary>Frames held back by <see cref="HoldFrames"/> now, over every connection and both directions.</summary>
    public int HeldFrames => ClientToServerFaults.HeldFrames + ServerToClientFaults.HeldFrames;

    /// <summary>Rewrites each chunk in <paramref name="direction"/> through <paramref name="transform"/>; null turns it off.</summary>
    /// <remarks>
    /// The transform gets the chunk as read (valid only during the call: copy what you keep) and returns the bytes to
    /// send instead, possibly longer, shorter or empty. It runs on the pump's thread, one chunk at a time per
    /// connection. If it throws, that connection is reset and the error kept in <see cref="UnexpectedError"/>.
    /// </remarks>
    public void Corrupt(Func<ReadOnlyMemory<byte>, byte[]>? transform, ProxyDirection direction = ProxyDirection.Both)
    {
        ForEach(direction, transform, static (faults, value) => faults.Transform = value);
    }

    /// <summary>Lets each connection forward <paramref name="bytes"/> more bytes in <paramref name="direction"/>, then
    /// closes it: a peer that vanishes mid-frame. Null turns it off.</summary>
    /// <remarks>
    /// The count starts at this call, per connection and per direction, and includes bytes of connections opened
    /// later. The chunk that reaches the limit is cut to fit; then both sockets are closed in an orderly way, so the
    /// far side reads exactly the allowed bytes and then the end of stream (the kernel sends RST instead of FIN to
    /// a side whose unread bytes the proxy still holds). With 0, the next chunk closes the connection unforwarded.
    /// </remarks>
    public void DropAfter(long? bytes, ProxyDirection direction = ProxyDirection.Both)
    {
        if (bytes is long count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count, nameof(bytes));
        }

        ForEach(direction, bytes, static (faults, value) => faults.SetDrop(value));
    }

    /// <summary>Turns every fault off: no refusal, stall, delay, transform or drop. Open connections carry on.</summary>
    public void ClearFaults()
    {
        Refuse(false);
        Stall(false);
        HoldFrames(null);
        Delay(TimeSpan.Zero);
        Corrupt(null);
        DropAfter(null);
    }

    /// <summary>Waits until at least <paramref name="count"/> connections are open at once.</summary>
    /// <exception cref="TimeoutException">Fewer were open when <paramref name="timeout"/> ran out.</exception>
    public Task WaitForConnectionsAsync(int count, TimeSpan timeout) =>
        WaitUntilAsync(() => ConnectionCount >= count, $"{count} open proxied connection(s)", timeout);

    /// <summary>Waits until <paramref name="condition"/> holds, rechecking whenever the proxy's state changes
    /// (a connection opens or closes, bytes are forwarded, a chunk is held or released).</summary>
    /// <exception cref="TimeoutException">It did not hold when <paramref name="timeout"/> ran out.</exception>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // Take the signal before testing, so a change between the test and the wait is not missed.
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (condition())
            {
                return;
            }

            TimeSpan remaining = timeout - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}.");
            }

            try
            {
                await changed.WaitAsync(remaining).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Loop once more: the condition gets a last look before the timeout is reported.
            }
        }
    }

    /// <summary>Stops listening, resets every connection and waits for every pump to end.</summary>
    /// <exception cref="TimeoutException">A pump did not end within <see cref="Bounded.Timeout"/>: a proxy bug.</exception>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            // Rethrows an accept failure that was not caused by stopping, after the cleanup below.
            await _acceptLoop.WaitAsync(Bounded.Timeout).ConfigureAwait(false);
        }
        finally
        {
            CutAll(); // closing a pair also cancels its stalled and delayed pumps
            await WaitUntilAsync(() => Volatile.Read(ref _handlers) == 0, "every proxied connection to end", Bounded.Timeout)
                .ConfigureAwait(false);
            _stop.Dispose();
        }
    }

    internal void NotifyChanged()
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            signal = _changed;
            _changed = NewSignal();
        }

        signal.TrySetResult();
    }

    /// <summary>Closes a socket the proxy opened or accepted; called exactly once per socket.</summary>
    internal void Release(Socket socket, bool reset)
    {
        if (reset)
        {
            try
            {
                // Linger on, zero timeout: close discards unsent data and sends RST instead of FIN.
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already dead: closing it is all that is left to do.
            }
        }

        socket.Dispose();
        Interlocked.Decrement(ref _openSockets);
    }

    internal void OnPairClosed(ProxyPair pair)
    {
        lock (_gate)
        {
            _pairs.Remove(pair);
        }

        NotifyChanged();
    }

    internal void ReportUnexpected(Exception error) => Interlocked.CompareExchange(ref _unexpectedError, error, null);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void ForEach<T>(ProxyDirection direction, T value, Action<DirectionFaults, T> apply)
    {
        if (direction is not (ProxyDirection.ClientToServer or ProxyDirection.ServerToClient or ProxyDirection.Both))
        {
            throw new ArgumentOutOfRangeException(nameof(direction), direction, "Unknown proxy direction.");
        }

        if (direction is ProxyDirection.ClientToServer or ProxyDirection.Both)
        {
            apply(ClientToServerFaults, value);
        }

        if (direction is ProxyDirection.ServerToClient or ProxyDirection.Both)
        {
            apply(ServerToClientFaults, value);
        }
    }

    private ProxyPair[] SnapshotPairs()
    {
        lock (_gate)
        {
            var pairs = new ProxyPair[_pairs.Count];
            _pairs.CopyTo(pairs);
            return pairs;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (_stop.IsCancellationRequested &&
                                      e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _openSockets);
            if (_refuse)
            {
                Interlocked.Increment(ref _refused);
                Release(accepted, reset: true);
                NotifyChanged();
                continue;
            }

            Interlocked.Increment(ref _handlers);
            _ = HandleAsync(accepted); // never throws; DisposeAsync waits for _handlers to reach 0
        }
    }

    private async Task HandleAsync(Socket accepted)
    {
        try
        {
            accepted.NoDelay = true; // forward small chunks at once: tests send small frames and wait for answers
            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            Interlocked.Increment(ref _openSockets);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(ConnectTimeout);
                await upstream.ConnectAsync(_target, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                Interlocked.Increment(ref _upstreamFailures);
                Release(accepted, reset: true);
                Release(upstream, reset: true);
                return;
            }

            var pair = new ProxyPair(this, accepted, upstream);
            bool added;
            lock (_gate)
            {
                // Checked under the lock DisposeAsync sets it in, so every pair added is one its CutAll will see.
                added = !_disposed;
                if (added)
                {
                    _pairs.Add(pair);
                    _totalConnections++;
                }
            }

            if (!added)
            {
                pair.Close(reset: true);
                return;
            }

            NotifyChanged();
            await pair.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ReportUnexpected(e);
        }
        finally
        {
            Interlocked.Decrement(ref _handlers);
            NotifyChanged();
        }
    }
}
