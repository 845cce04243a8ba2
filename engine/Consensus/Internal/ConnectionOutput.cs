using System.IO.Pipelines;
using FastDht.Engine.Transport;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// The output of a connection handed whole to the Raft library: a <see cref="PipeWriter"/> that takes the connection's
/// writer lock on the first write of a message and releases it with the flush.
/// </summary>
/// <remarks>
/// After the handshake the library is the only producer on the connection, so the lock is always free when it writes;
/// it is still taken, because closing the connection takes it too (to complete the output) and must not run while a
/// message is half written. When it cannot be taken the connection is closing, and the write fails as on a closed
/// socket.
/// </remarks>
internal sealed class ConnectionOutput(SocketConnection connection) : PipeWriter
{
    private PipeWriter? _held;

    private PipeWriter Held => _held ??= connection.TryEnterWrite(out var writer)
        ? writer
        : throw new IOException("the consensus connection is closed");

    public override void Advance(int bytes) => Held.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => Held.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => Held.GetSpan(sizeHint);

    public override void CancelPendingFlush()
    {
    }

    public override void Complete(Exception? exception = null)
    {
        Release();
        connection.Abort(exception);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_held is null)
            return new ValueTask<FlushResult>(new FlushResult(false, connection.IsClosed));
        _held = null;
        var flushing = connection.ExitWriteAsync(flush: true);
        return flushing.IsCompletedSuccessfully
            ? new ValueTask<FlushResult>(new FlushResult(false, !flushing.Result))
            : AwaitFlushAsync(flushing);
    }

    private static async ValueTask<FlushResult> AwaitFlushAsync(ValueTask<bool> flushing) =>
        new(false, !await flushing.ConfigureAwait(false));

    private void Release()
    {
        if (_held is not null)
        {
            _held = null;
            _ = connection.ExitWriteAsync(flush: false);
        }
    }
}
