using System.Buffers;
using System.Net.Sockets;

namespace FastDht.LoadGen.Targets;

/// <summary>One relayed connection: the accepted socket and its upstream socket, each read by a pump that queues what it reads on the relay's delay line.</summary>
internal sealed class RelayPair
{
    // 64 KiB: a few MTU-sized segments, and more than one batch of frames a node writes at once.
    private const int ChunkSize = 64 * 1024;

    private readonly Socket _accepted;
    private readonly Socket _upstream;
    private int _closed;

    public RelayPair(Socket accepted, Socket upstream)
    {
        _accepted = accepted;
        _upstream = upstream;
    }

    /// <summary>Pumps both directions until either side ends; completes when both pumps have.</summary>
    public Task RunAsync(DelayLine line) => Task.WhenAll(PumpAsync(_accepted, _upstream, line), PumpAsync(_upstream, _accepted, line));

    /// <summary>Closes both sockets (once): a reset or a failed write on one side ends the whole connection.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        _accepted.Dispose();
        _upstream.Dispose();
    }

    private async Task PumpAsync(Socket from, Socket to, DelayLine line)
    {
        try
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                int read;
                try
                {
                    read = await from.ReceiveAsync(buffer.AsMemory(0, ChunkSize), SocketFlags.None).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }
                line.Enqueue(to, buffer, read, this); // 0: the end of the stream, delivered as a half-close in order
                if (read == 0)
                    return;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Close();
        }
    }
}
