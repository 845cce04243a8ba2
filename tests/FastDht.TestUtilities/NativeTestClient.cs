using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastDht.Protocol;

namespace FastDht.TestUtilities;

/// <summary>
/// A deliberately simple native-protocol client for tests: plain socket, one request at a time unless told
/// otherwise, raw bytes when a test needs to send garbage. Every read has a timeout.
/// </summary>
public sealed class NativeTestClient : IDisposable
{
    private readonly Socket _socket;
    private readonly ArrayBufferWriter<byte> _out = new();
    private byte[] _in = new byte[64 * 1024];
    private int _inCount;
    private uint _nextId;

    private NativeTestClient(Socket socket) => _socket = socket;

    public static async Task<NativeTestClient> ConnectAsync(IPEndPoint endPoint, string? cluster = "test")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).WithinAsync($"connecting to {endPoint}").ConfigureAwait(false);
        var client = new NativeTestClient(socket);
        if (cluster is not null)
        {
            var hello = await client.RequestAsync((w, id) => FrameWriter.WriteHello(w, id, NodeRole.Client, ProtocolConstants.ClientNodeId, cluster, "", 1 << 20)).ConfigureAwait(false);
            if (hello.Status != StatusCode.Ok)
                throw new InvalidOperationException($"handshake failed: {hello.Status} {hello.ErrorMessage}");
        }
        return client;
    }

    /// <summary>The socket, for drivers that pipeline raw frames themselves (after the handshake).</summary>
    public Socket Socket => _socket;

    public uint NextId() => ++_nextId;

    /// <summary>Sends one request and reads the response with its id.</summary>
    public async Task<RawResponse> RequestAsync(Action<IBufferWriter<byte>, uint> write)
    {
        var id = NextId();
        _out.Clear();
        write(_out, id);
        await SendRawAsync(_out.WrittenMemory).ConfigureAwait(false);
        var response = await ReadResponseAsync().ConfigureAwait(false)
            ?? throw new IOException("the node closed the connection instead of answering");
        // A stopping node's going-away notice (docs/protocol.md §3) answers no request: the answer follows it.
        if (ProtocolConstants.IsGoAway(response.Header))
        {
            response = await ReadResponseAsync().ConfigureAwait(false)
                ?? throw new IOException("the node closed the connection instead of answering");
        }
        if (response.Header.RequestId != id)
            throw new InvalidOperationException($"answer for request {response.Header.RequestId}, expected {id}");
        return response;
    }

    public Task<RawResponse> GetAsync(byte[] key) => RequestAsync((w, id) => FrameWriter.WriteGet(w, id, key));

    public Task<RawResponse> PutAsync(byte[] key, byte[] value) => RequestAsync((w, id) => FrameWriter.WritePut(w, id, key, value));

    public Task<RawResponse> PutIfAbsentAsync(byte[] key, byte[] value) => RequestAsync((w, id) => FrameWriter.WritePutIfAbsent(w, id, key, value));

    public Task<RawResponse> DeleteAsync(byte[] key) => RequestAsync((w, id) => FrameWriter.WriteDelete(w, id, key));

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes).AsTask().WithinAsync("a send").ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Reads the next frame; null when the node closed the connection.</summary>
    public async Task<RawResponse?> ReadResponseAsync(TimeSpan? timeout = null)
    {
        using var expiry = new CancellationTokenSource(timeout ?? Bounded.Timeout);
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_in, 0, _inCount);
            if (FrameReader.TryReadFrame(ref sequence, new ProtocolLimits { MaxFrameSize = ProtocolLimits.MaxFrameSizeCap }, out var frame, out var error))
            {
                var response = new RawResponse(frame.Header, frame.Body.ToArray());
                var consumed = _inCount - (int)sequence.Length;
                Buffer.BlockCopy(_in, consumed, _in, 0, _inCount - consumed);
                _inCount -= consumed;
                return response;
            }
            if (!error.IsNone)
                throw new InvalidDataException($"malformed frame from the node: {error}");
            if (_inCount == _in.Length)
                Array.Resize(ref _in, _in.Length * 2);
            int read;
            try
            {
                read = await _socket.ReceiveAsync(_in.AsMemory(_inCount), expiry.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("no answer from the node in time");
            }
            catch (SocketException)
            {
                return null;
            }
            if (read == 0)
                return null;
            _inCount += read;
        }
    }

    /// <summary>True when the node closes the connection (after any frames it still sends) within the timeout.</summary>
    public async Task<bool> IsClosedByNodeAsync(TimeSpan? timeout = null)
    {
        try
        {
            while (await ReadResponseAsync(timeout).ConfigureAwait(false) is not null)
            {
            }
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>A response frame read by <see cref="NativeTestClient"/>, copied out of the socket buffer.</summary>
public sealed record RawResponse(FrameHeader Header, byte[] Body)
{
    public StatusCode Status => Header.Status;

    /// <summary>The value of a Get answered Ok.</summary>
    public byte[] Value => ResponseDecoder.TryReadValue(Body, out var value, out _) ? value.ToArray() : throw new InvalidDataException($"not a value response: {Status}");

    public string? ErrorMessage => Header.IsError && ResponseDecoder.TryReadError(Body, out var m, out _) ? Encoding.UTF8.GetString(m) : null;
}
