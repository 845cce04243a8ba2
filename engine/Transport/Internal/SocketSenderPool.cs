using System.Collections.Concurrent;
using System.IO.Pipelines;

namespace FastDht.Engine.Transport.Internal;

/// <summary>Recycles send operations across connections, so an idle connection holds none.</summary>
/// <remarks>
/// A connection rents a sender per send and returns it afterwards (Kestrel's SocketSenderPool). A sender that
/// completed with an error is disposed instead of returned: its native state after a failure is not trusted.
/// </remarks>
internal sealed class SocketSenderPool : IDisposable
{
    // 1024: enough for a busy node's concurrent sends (one per connection at most), small enough (a few hundred
    // bytes each) that an idle pool costs little.
    private const int MaxPooled = 1024;

    private readonly ConcurrentQueue<SocketSender> _queue = new();
    private readonly PipeScheduler _scheduler;
    private int _count;
    private long _outstanding;
    private bool _disposed;

    public SocketSenderPool(PipeScheduler scheduler)
    {
        _scheduler = scheduler;
    }

    /// <summary>The process-wide pool used when the options do not name one.</summary>
    public static SocketSenderPool Shared { get; } = new(TransportSchedulers.SocketCompletions);

    /// <summary>Senders rented and neither returned nor discarded; 0 when no send is in flight.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    public SocketSender Rent()
    {
        Interlocked.Increment(ref _outstanding);
        if (_queue.TryDequeue(out SocketSender? sender))
        {
            Interlocked.Decrement(ref _count);
            return sender;
        }

        return new SocketSender(_scheduler);
    }

    public void Return(SocketSender sender)
    {
        Interlocked.Decrement(ref _outstanding);
        if (Volatile.Read(ref _disposed))
        {
            sender.Dispose();
            return;
        }

        if (Interlocked.Increment(ref _count) > MaxPooled)
        {
            Interlocked.Decrement(ref _count);
            sender.Dispose();
            return;
        }

        sender.Reset();
        _queue.Enqueue(sender);
    }

    /// <summary>Disposes a sender that failed: it is never handed out again.</summary>
    public void Discard(SocketSender sender)
    {
        Interlocked.Decrement(ref _outstanding);
        sender.Dispose();
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        while (_queue.TryDequeue(out SocketSender? sender))
        {
            sender.Dispose();
        }
    }
}
