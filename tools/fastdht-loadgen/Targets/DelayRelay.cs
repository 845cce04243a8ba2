using System.Net;
using System.Net.Sockets;

namespace FastDht.LoadGen.Targets;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of one node: every byte it carries, either way, arrives a fixed delay after it was
/// sent. Put in front of every node of a local cluster (as its member address, which peers dial and clients are sent
/// to), it gives every peer link and client link the same round trip, 2 x the delay, in place of tc netem.
/// </summary>
internal sealed class DelayRelay : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly DelayLine _line;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<RelayPair> _pairs = [];
    private readonly List<Task> _pumps = [];
    private readonly Task _acceptLoop;

    private DelayRelay(Socket listener, IPEndPoint target, TimeSpan oneWay)
    {
        _listener = listener;
        _target = target;
        _line = new DelayLine(oneWay, $"delay line to {target}");
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Where peers and clients connect instead of the node.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Starts a relay on 127.0.0.1 port 0 that delays every byte by <paramref name="oneWay"/> on its way to or from <paramref name="target"/>.</summary>
    public static DelayRelay Start(IPEndPoint target, TimeSpan oneWay)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        return new DelayRelay(listener, target, oneWay);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] pumps;
        lock (_pairs)
        {
            foreach (var pair in _pairs)
                pair.Close();
            pumps = [.. _pumps];
        }
        await Task.WhenAll(pumps).ConfigureAwait(false);
        _line.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            accepted.NoDelay = true;
            try
            {
                await upstream.ConnectAsync(_target, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                accepted.Dispose();
                upstream.Dispose();
                continue;
            }
            var pair = new RelayPair(accepted, upstream);
            lock (_pairs)
            {
                _pairs.Add(pair);
                _pumps.Add(pair.RunAsync(_line));
            }
        }
    }
}
