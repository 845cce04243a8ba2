using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using BenchmarkDotNet.Attributes;
using FastDht.Engine.Transport;

namespace FastDht.Benchmarks.Transport;

/// <summary>Loopback echo through the transport: a window of frames in flight, written by the client, echoed back.</summary>
/// <remarks>
/// Each invoke moves <see cref="FramesPerInvoke"/> frames of <see cref="FrameSize"/> bytes: with InFlight = 1 that is
/// 256 strict round trips (latency-bound); with 16 the client writes 16 frames (each its own lock hold and flush,
/// as independent requests would), then waits for all 16 echoes, so the send loops batch. Results are per frame.
/// </remarks>
public class EchoRoundTripBenchmarks
{
    private const int FramesPerInvoke = 256; // divisible by every InFlight value, large enough to amortise setup
    private const int FrameSize = 64;        // a typical small request: header plus a short key

    private readonly byte[] _frame = new byte[FrameSize];
    private SocketListener? _listener;
    private SocketConnection? _client;
    private Task<SocketConnection>? _serverSide;
    private Task? _echoLoop;

    [Params(1, 16)]
    public int InFlight { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var accepted = new TaskCompletionSource<SocketConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        _listener = SocketListener.Start(new IPEndPoint(IPAddress.Loopback, 0), connection =>
        {
            accepted.TrySetResult(connection);
            _echoLoop = EchoAsync(connection);
            return ValueTask.CompletedTask;
        });
        _serverSide = accepted.Task;
        _client = await SocketConnector.ConnectAsync(_listener.LocalEndPoint, TimeSpan.FromSeconds(10));
        await _serverSide.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_echoLoop is not null)
        {
            await _echoLoop.WaitAsync(TimeSpan.FromSeconds(10));
        }

        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }
    }

    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public async Task EchoFrames()
    {
        SocketConnection client = _client!;
        for (int window = 0; window < FramesPerInvoke / InFlight; window++)
        {
            for (int i = 0; i < InFlight; i++)
            {
                if (!client.TryEnterWrite(out PipeWriter writer))
                {
                    writer = await client.EnterWriteAsync();
                }

                writer.Write(_frame.AsSpan());
                await client.ExitWriteAsync();
            }

            long expected = (long)InFlight * FrameSize;
            while (expected > 0)
            {
                ReadResult read = await client.Input.ReadAsync();
                long take = Math.Min(read.Buffer.Length, expected);
                expected -= take;
                client.Input.AdvanceTo(read.Buffer.GetPosition(take));
                if (read.IsCompleted && expected > 0)
                {
                    throw new InvalidOperationException("The echo server closed early.");
                }
            }
        }
    }

    private static async Task EchoAsync(SocketConnection connection)
    {
        try
        {
            while (true)
            {
                ReadResult read = await connection.Input.ReadAsync();
                ReadOnlySequence<byte> buffer = read.Buffer;
                if (!buffer.IsEmpty)
                {
                    if (!connection.TryEnterWrite(out PipeWriter writer))
                    {
                        writer = await connection.EnterWriteAsync();
                    }

                    foreach (ReadOnlyMemory<byte> segment in buffer)
                    {
                        writer.Write(segment.Span);
                    }

                    await connection.ExitWriteAsync();
                }

                connection.Input.AdvanceTo(buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}
