using System.Buffers;
using System.Collections.Concurrent;
using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Resp.Internal;

/// <summary>Sends each PUBLISH to every other member of the cluster (RespPublish over the peer links), through a bounded outbox per member.</summary>
/// <remarks>
/// Requirements: PUBLISH must not wait for peers (Redis Cluster's clusterPropagatePublish queues the message on the
/// cluster bus and answers at once); a peer that stops reading must not make this node grow without bound; messages of
/// one publisher reach a member in the order they were published; the usual publish allocates nothing.
/// Design: one outbox per member (<see cref="PeerOutbox"/>), a byte buffer of whole RespPublish frames. A publish appends
/// its frame under the outbox's lock; the first publisher to find the outbox idle drains it: takes the buffered frames,
/// writes them to the member's link under the link's writer lock and flushes. The link's lock free and the flush done at
/// once (the usual case) means the drain ends on the publisher's thread; otherwise one asynchronous drain carries on
/// while later publishes only append, so what queues behind a busy link goes out in one write.
/// Bound: an outbox holds at most <see cref="MaxPendingBytes"/>; past it, and for a member without a live link, a message
/// is dropped for that member (counted in <see cref="Dropped"/>). Delivery is at most once, as in Redis: a link that
/// closes loses what it had not delivered, and nothing is sent again.
/// </remarks>
internal sealed class PublishBroadcast
{
    /// <summary>
    /// The most bytes of messages waiting for one member: 32 MiB, Redis's hard client-output-buffer-limit of the pubsub
    /// class, the same bound a subscriber that does not read gets. The node holds at most about twice this per member
    /// (the frames being written and those queued behind them), plus the link's own output pipe.
    /// </summary>
    public const int MaxPendingBytes = 32 * 1024 * 1024;

    private readonly ConcurrentDictionary<ushort, PeerOutbox> _outboxes = new();
    private long _dropped;

    /// <summary>Messages not sent to a member: it had no live link, its outbox was full, or the message exceeded its frame limit.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues <paramref name="message"/> on <paramref name="channel"/> for every member of <paramref name="state"/> but this node.</summary>
    public void Send(IPeerLinks peers, ClusterState state, ushort selfId, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        var members = state.Members;
        if (members.Count <= 1)
            return;
        var frameLength = FrameWriter.RespPublishFrameLength(channel.Length, message.Length);
        for (var i = 0; i < members.Count; i++)
        {
            var id = members[i].NodeId;
            if (id == selfId)
                continue;
            var link = peers.LinkTo(id);
            // The frame's length field counts 4 bytes less than the whole frame; the peer's limit bounds that field.
            if (link is null || frameLength - sizeof(uint) > link.SendLimit || frameLength > MaxPendingBytes)
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }
            var outbox = _outboxes.GetOrAdd(id, static (node, links) => new PeerOutbox(node, links), peers);
            if (!outbox.TryAdd(channel, message, (int)frameLength))
                Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>The frames waiting for one member and their drain (see <see cref="PublishBroadcast"/>).</summary>
    private sealed class PeerOutbox(ushort nodeId, IPeerLinks peers) : IBufferWriter<byte>
    {
        // An emptied buffer up to this size is kept for the next batch; a larger one (a burst) goes back to the pool.
        private const int KeepLimit = 1024 * 1024;

        private readonly Lock _sync = new();
        private byte[] _pending = [];
        private int _length;
        private byte[]? _spare;
        private bool _draining;

        /// <summary>Appends the frame and drains when nobody does; false (nothing queued) when the outbox is full.</summary>
        public bool TryAdd(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, int frameLength)
        {
            lock (_sync)
            {
                if (_length + (long)frameLength > MaxPendingBytes)
                    return false;
                FrameWriter.WriteRespPublish(this, channel, message);
                if (_draining)
                    return true;
                _draining = true;
            }
            Drain();
            return true;
        }

        /// <summary>Under the lock only (the frame writer's target).</summary>
        public Span<byte> GetSpan(int sizeHint = 0)
        {
            var needed = _length + Math.Max(sizeHint, 1);
            if (needed > _pending.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(4096, _pending.Length * 2)));
                _pending.AsSpan(0, _length).CopyTo(larger);
                if (_pending.Length > 0)
                    ArrayPool<byte>.Shared.Return(_pending);
                _pending = larger;
            }
            return _pending.AsSpan(_length);
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            GetSpan(sizeHint);
            return _pending.AsMemory(_length);
        }

        public void Advance(int count) => _length += count;

        /// <summary>The drainer's loop: writes what is queued until the outbox is empty, going asynchronous when the link makes it wait.</summary>
        private void Drain()
        {
            while (TakeBatch(out var batch, out var length))
            {
                var link = peers.LinkTo(nodeId);
                if (link is null)
                {
                    Recycle(batch); // the member went away: at most once, its messages are lost
                    continue;
                }
                if (!link.Connection.TryEnterWrite(out var writer))
                {
                    _ = DrainLaterAsync(link, batch, length);
                    return;
                }
                writer.Write(batch.AsSpan(0, length));
                Recycle(batch);
                var flushing = link.Connection.ExitWriteAsync(flush: true);
                if (!flushing.IsCompletedSuccessfully)
                {
                    _ = DrainAfterFlushAsync(flushing);
                    return;
                }
                _ = flushing.Result; // consumed: a pooled completion goes back to its pool
            }
        }

        /// <summary>Takes the queued frames; false, and the drain ends, when there are none.</summary>
        private bool TakeBatch(out byte[] batch, out int length)
        {
            lock (_sync)
            {
                batch = _pending;
                length = _length;
                if (length == 0)
                {
                    _draining = false;
                    return false;
                }
                _pending = _spare ?? [];
                _spare = null;
                _length = 0;
                return true;
            }
        }

        private void Recycle(byte[] batch)
        {
            lock (_sync)
            {
                if (_spare is null && batch.Length <= KeepLimit)
                {
                    _spare = batch;
                    return;
                }
            }
            ArrayPool<byte>.Shared.Return(batch);
        }

        private async Task DrainLaterAsync(FrameSession link, byte[] batch, int length)
        {
            try
            {
                var writer = await FrameSession.EnterSlowAsync(link.Connection).ConfigureAwait(false);
                if (writer is not null)
                {
                    writer.Write(batch.AsSpan(0, length));
                    await link.Connection.ExitWriteAsync(flush: true).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // The link failed: at most once, what it carried is lost.
            }
            finally
            {
                Recycle(batch);
            }
            Drain();
        }

        private async Task DrainAfterFlushAsync(ValueTask<bool> flushing)
        {
            try
            {
                await flushing.ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // The link failed while flushing: at most once, what it carried is lost.
            }
            Drain();
        }
    }
}
