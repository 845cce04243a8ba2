using System.Buffers;
using System.Net.Sockets;
using FastDht.Protocol;

namespace FastDht.TestUtilities;

/// <summary>One proxied connection: the accepted client socket, the socket to the target, and a pump each way.</summary>
/// <remarks>
/// Behaves like a plain TCP relay unless a fault says otherwise: an orderly end of stream on one side is passed on
/// as a half-close (FIN) to the other, and the pair closes once both directions have ended; an error or reset on
/// either side resets both, as a real peer would see it. <see cref="Close"/> runs once, whoever calls it first.
/// </remarks>
internal sealed class ProxyPair
{
    // 16 KiB: large enough that bulk traffic moves in few chunks, small enough that a test's chunk-wise
    // transform or drop still sees realistic fragmentation of larger writes.
    private const int ChunkSize = 16 * 1024;

    private readonly LoopbackProxy _proxy;
    private readonly Socket _client;
    private readonly Socket _server;
    private readonly CancellationTokenSource _closing = new();
    private readonly CancellationToken _token;
    private int _closed;
    // Set by the client-to-server pump from the connection's first bytes, before it forwards them (so before the server
    // can answer anything): a Raft connection, which LoopbackProxy.SparesConsensus exempts from stalls and delays.
    private volatile bool _consensus;
    // The node that dialed this connection, from its native Hello (-1: not a Hello): LoopbackProxy.FreezeDialer.
    private volatile int _dialer = -1;

    public ProxyPair(LoopbackProxy proxy, Socket client, Socket server)
    {
        _proxy = proxy;
        _client = client;
        _server = server;
        _token = _closing.Token; // captured once: the source is disposed on close, its token stays readable
    }

    /// <summary>Pumps both directions until both end, then closes the pair. Never throws.</summary>
    public async Task RunAsync()
    {
        Task up = PumpAsync(_client, _server, _proxy.ClientToServerFaults, classify: true);
        Task down = PumpAsync(_server, _client, _proxy.ServerToClientFaults, classify: false);
        await Task.WhenAll(up, down).ConfigureAwait(false);
        Close(reset: false);
    }

    /// <summary>Closes both sockets: with RST when <paramref name="reset"/>, else an orderly close. Idempotent.</summary>
    public void Close(bool reset)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        // Sockets first, so a pump woken by the cancellation below finds them closed and stops.
        _proxy.Release(_client, reset);
        _proxy.Release(_server, reset);
        _closing.Cancel();
        _closing.Dispose();
        _proxy.OnPairClosed(this);
    }

    /// <summary>
    /// Whether <paramref name="first"/>, a connection's first bytes, is a native Hello of role Consensus;
    /// <paramref name="dialer"/>: the node id a native Hello names (-1 when the bytes are none).
    /// </summary>
    /// <remarks>A Hello too short to tell (never seen: it is written at once) counts as not: the faults then apply.</remarks>
    private static bool IsConsensusHello(ReadOnlyMemory<byte> first, out int dialer)
    {
        dialer = -1;
        var buffer = new ReadOnlySequence<byte>(first);
        if (!FrameReader.TryReadFrame(ref buffer, ProtocolLimits.Default, out var frame, out _) || frame.Header.Opcode != Opcode.Hello)
            return false;
        // Hello body: u16 protocol version, u8 role, u16 node id, ... (docs/protocol.md, Hello).
        Span<byte> head = stackalloc byte[5];
        if (frame.Body.Length < head.Length)
            return false;
        frame.Body.Slice(0, head.Length).CopyTo(head);
        dialer = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(head[3..]);
        return head[2] == (byte)NodeRole.Consensus;
    }

    private async Task PumpAsync(Socket source, Socket destination, DirectionFaults faults, bool classify)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        int dropEpoch = -1;
        long sinceDrop = 0;
        var frames = new FrameHolder(faults);
        try
        {
            while (true)
            {
                int read = await source.ReceiveAsync(buffer.AsMemory(0, ChunkSize), SocketFlags.None, _token).ConfigureAwait(false);
                if (classify)
                {
                    classify = false;
                    _consensus = IsConsensusHello(buffer.AsMemory(0, read), out var dialer);
                    _dialer = dialer;
                }

                bool spared = _consensus && _proxy.SparesConsensus;

                // Checked after the read, so a chunk (or the end of stream) read before the stall still waits:
                // a frozen peer passes nothing on.
                if (!spared)
                {
                    await faults.WaitWhileStalledAsync(_proxy.NotifyChanged, _token).ConfigureAwait(false);
                }

                while (_dialer >= 0 && _dialer == _proxy.FrozenDialer)
                {
                    await _proxy.DialerFaults.WaitWhileStalledAsync(_proxy.NotifyChanged, _token).ConfigureAwait(false);
                }

                if (read == 0)
                {
                    destination.Shutdown(SocketShutdown.Send);
                    return;
                }

                TimeSpan delay = spared ? TimeSpan.Zero : faults.Delay;
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _token).ConfigureAwait(false);
                }

                ReadOnlyMemory<byte> chunk = buffer.AsMemory(0, read);
                if (!_consensus)
                {
                    chunk = frames.Pass(chunk);
                }

                Func<ReadOnlyMemory<byte>, byte[]>? transform = faults.Transform;
                if (transform is not null)
                {
                    chunk = transform(chunk);
                }

                bool dropAfterThis = false;
                (long limit, int epoch) = faults.Drop;
                if (limit >= 0)
                {
                    if (epoch != dropEpoch)
                    {
                        dropEpoch = epoch; // a new DropAfter call counts from the moment it was made
                        sinceDrop = 0;
                    }

                    long allowed = limit - sinceDrop;
                    if (chunk.Length >= allowed)
                    {
                        chunk = chunk[..(int)allowed];
                        dropAfterThis = true;
                    }
                }

                await SendAllAsync(destination, chunk).ConfigureAwait(false);
                sinceDrop += chunk.Length;
                faults.AddForwarded(chunk.Length);
                _proxy.NotifyChanged();
                if (dropAfterThis)
                {
                    // The peer vanishes mid-stream: the far side gets exactly the allowed bytes, then the close.
                    Close(reset: false);
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Close(reset: true);
        }
        catch (Exception e)
        {
            // A throwing transform, most likely: reset the pair and keep the error for the test to see.
            _proxy.ReportUnexpected(e);
            Close(reset: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            frames.Abandon(); // held frames die with the connection
        }
    }

    private async ValueTask SendAllAsync(Socket destination, ReadOnlyMemory<byte> chunk)
    {
        while (!chunk.IsEmpty)
        {
            int sent = await destination.SendAsync(chunk, SocketFlags.None, _token).ConfigureAwait(false);
            chunk = chunk[sent..];
        }
    }
}
