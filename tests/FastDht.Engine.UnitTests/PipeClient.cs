using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using FastDht.Protocol;
using FastDht.TestUtilities;
using Nerdbank.Streams;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// The client end of an in-memory connection (<see cref="FullDuplexStream.CreatePipePair"/>): writes raw bytes, reads
/// native frames or RESP text. Every wait is bounded.
/// </summary>
internal sealed class PipeClient
{
    private static readonly ProtocolLimits ReadLimits = new() { MaxFrameSize = ProtocolLimits.MaxFrameSizeCap };
    private readonly IDuplexPipe _pipe;

    private PipeClient(IDuplexPipe pipe) => _pipe = pipe;

    /// <summary>A client and the other end of its pipe, for the node (or a connection under test) to own.</summary>
    /// <param name="options">The pair's pipes; null: unbounded ones, which never make the node's side wait.</param>
    public static (PipeClient Client, IDuplexPipe Server) CreatePair(PipeOptions? options = null)
    {
        var (client, server) = FullDuplexStream.CreatePipePair(options);
        return (new PipeClient(client), server);
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        var flushed = await _pipe.Output.WriteAsync(bytes).AsTask().WithinAsync("a write").ConfigureAwait(false);
        Assert.False(flushed.IsCompleted, "the other side stopped reading");
    }

    public Task SendAsync(string text) => SendAsync(Encoding.ASCII.GetBytes(text));

    /// <summary>Sends <paramref name="bytes"/> in pieces of <paramref name="pieceSize"/>, each flushed on its own.</summary>
    public async Task SendInPiecesAsync(ReadOnlyMemory<byte> bytes, int pieceSize)
    {
        for (var i = 0; i < bytes.Length; i += pieceSize)
            await SendAsync(bytes.Slice(i, Math.Min(pieceSize, bytes.Length - i))).ConfigureAwait(false);
    }

    /// <summary>Ends this side's output (a half-close, like shutdown(SHUT_WR)); answers can still arrive.</summary>
    public Task CompleteOutputAsync() => _pipe.Output.CompleteAsync().AsTask();

    /// <summary>The next native frame; null when the other side ended the connection.</summary>
    public async Task<RawResponse?> ReadFrameAsync()
    {
        var input = _pipe.Input;
        while (true)
        {
            var result = await ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (FrameReader.TryReadFrame(ref buffer, ReadLimits, out var frame, out var error))
            {
                var response = new RawResponse(frame.Header, frame.Body.ToArray());
                input.AdvanceTo(buffer.Start);
                return response;
            }
            Assert.True(error.IsNone, $"malformed frame from the node: {error}");
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                return null;
        }
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes as ASCII (RESP replies).</summary>
    public async Task<string> ReadTextAsync(int length)
    {
        var input = _pipe.Input;
        while (true)
        {
            var result = await ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= length)
            {
                var text = Encoding.ASCII.GetString(buffer.Slice(0, length));
                input.AdvanceTo(buffer.GetPosition(length));
                return text;
            }
            if (result.IsCompleted)
            {
                var partial = Encoding.ASCII.GetString(buffer);
                input.AdvanceTo(buffer.End);
                return partial;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Reads and drops everything until the other side ends the connection; the bytes that came first are returned.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        var input = _pipe.Input;
        var all = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await ReadAsync().ConfigureAwait(false);
            foreach (var segment in result.Buffer)
                all.Write(segment.Span);
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
                return all.WrittenSpan.ToArray();
        }
    }

    private async Task<ReadResult> ReadAsync()
    {
        using var expiry = new CancellationTokenSource(Bounded.Timeout);
        try
        {
            return await _pipe.Input.ReadAsync(expiry.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested)
        {
            throw new TimeoutException("nothing arrived from the other side in time");
        }
    }
}
