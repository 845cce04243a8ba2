using System.Buffers;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>
/// Forwarding, origin side: a request for a key another node owns goes over the link to that node, and the owner's
/// answer is relayed back under the client's request id. The read loop never waits for the answer; answers come
/// back out of order.
/// </summary>
internal sealed partial class ClientSession
{
    /// <summary>A forward answered WrongNode or Moving during a slot move is sent again this many times (<see cref="HandoverRetry"/>), as the smart client retries.</summary>
    private const int ReforwardAttempts = HandoverRetry.Attempts;

    /// <summary>Requests up to this size are kept for a second send whatever the state says (a pooled copy): a node may learn of a move only after it forwarded.</summary>
    private const int KeptAlways = 16 * 1024;

    /// <summary>The least a forward in flight counts for in <see cref="RelaysOverBound"/>: with the 1 MiB bound, 128 small forwards in flight per session.</summary>
    private const int MinAnswerEstimate = 8 * 1024;

    // The forwards of this session in flight, and the bytes of owners' answers copied and waiting for this client's writer
    // lock (RelaysOverBound); the recent largest answer (NoteAnswerSize); the read loop's waiter while it holds a forward.
    private int _forwardsInFlight;
    private long _relaysHeld;
    private int _answerEstimate;
    private TaskCompletionSource? _relaysWaiter;

    /// <summary>Forwards a request to <paramref name="owner"/> (its owner in <paramref name="state"/>), or answers at once when it cannot.</summary>
    /// <remarks>
    /// <paramref name="moving"/>: the key's slot is moving in <paramref name="state"/>. Then (and for any request up to
    /// 16 KiB, since this node may learn of a move late) the request is kept (a pooled copy) so that an answer WrongNode (the old owner handed the slot over before this node learned it) or Moving (the
    /// handover is in progress) makes this node send it again, to the owner of its newer state, instead of relaying an
    /// answer a client that keeps no slot table cannot act on (docs/elasticity.md). Outside moves nothing is copied.
    /// </remarks>
    private ValueTask<bool> ForwardAsync(in Frame frame, ushort owner, ClusterState state, bool moving = false)
    {
        var header = frame.Header;
        var mesh = _host.Mesh;
        if ((header.Flags & FrameFlags.Routed) != 0)
        {
            // A smart client sent it by its own table, and would rather learn the new owner than pay a hop on every
            // later request: say who owns the key at which epoch.
            return ReplyAsync(mesh.WrongNode(header, owner, state));
        }
        var link = mesh.GetLink(owner);
        if (link is null)
        {
            // A node that left the cluster has no links: the client should learn where the key lives now.
            if (!state.Members.TryGet(mesh.Identity.SelfId, out _))
            {
                return ReplyAsync(new WrongNodeReply(header.RequestId, header.Opcode,
                    $"node {mesh.Identity.SelfId} is not a member of the cluster at epoch {state.Epoch}; node {owner} owns this key's slot", state.Epoch, owner));
            }
            return ReplyErrorAsync(header, StatusCode.NodeUnavailable, mesh.UnavailableMessage(owner));
        }
        if (header.FrameLength - 4 > link.SendLimit)
            return ReplyErrorAsync(header, StatusCode.FrameTooLarge, $"the request is larger than node {owner} accepts ({link.SendLimit} bytes)");
        if (RelaysOverBound())
            return ForwardWhenRelaysFitAsync(frame);
        _metrics?.CountForward();
        var forward = ForwardRequest.Rent(this, header.RequestId, header.Opcode, owner, _batchStarted);
        if (moving || frame.Body.Length <= KeptAlways)
            forward.Keep(frame, attempt: 0);
        return link.SendForwardAsync(frame, forward);
    }

    /// <summary>
    /// Whether what this session holds for relays reaches <see cref="FrameSession.MaxHeldResponseBytes">the session's bound</see>: the owners'
    /// answers copied and waiting for this client's writer lock, plus an estimate of the answers of the forwards still in
    /// flight (each counted as the recent largest answer, at least <see cref="MinAnswerEstimate"/>).
    /// </summary>
    /// <remarks>
    /// A client that pipelines Gets of a large value another node owns and reads nothing: the first answers fill its
    /// output pipe, and every later one was copied to wait for the writer lock, not counted anywhere (the output limits
    /// count the pipe, the forward window the requests in flight): thousands of mebibytes. Three reads, no allocation.
    /// </remarks>
    private bool RelaysOverBound() => MaxHeldResponseBytes > 0 && RelaysReach(MaxHeldResponseBytes);

    /// <summary>Whether the relays (<see cref="RelaysOverBound"/>) hold at least <paramref name="bytes"/>.</summary>
    private bool RelaysReach(long bytes) =>
        (long)Volatile.Read(ref _forwardsInFlight) * Math.Max(Volatile.Read(ref _answerEstimate), MinAnswerEstimate)
            + Volatile.Read(ref _relaysHeld) >= bytes;

    /// <summary>Where a read loop held by <see cref="RelaysOverBound"/> goes on: half the bound, so one wait lets many forwards through (a deep pipeline of small ones does not wake the loop per answer).</summary>
    private long RelaysResume => MaxHeldResponseBytes / 2;

    /// <summary>
    /// The read loop holds a forward while the relays are over the bound (<see cref="RelaysOverBound"/>): sends what the read
    /// holds, then waits for forwards to be answered and copied answers to be written (the client reads) until the relays
    /// are down to <see cref="RelaysResume"/>, then routes the request afresh. The frame stays in the unadvanced input meanwhile.
    /// </summary>
    /// <remarks>
    /// Bounded without the read loop: a forward ends within the forward timeout (answer, timeout or link loss) on the link's
    /// loop, and a copied answer waits only for the writer lock, which the read loop does not hold while it waits here
    /// (the flush before released it); a closed connection drops the copies. One small allocation per wait, never on a
    /// forward that fits.
    /// </remarks>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ForwardWhenRelaysFitAsync(Frame frame)
    {
        await FlushAsync().ConfigureAwait(false);
        while (RelaysReach(RelaysResume) && !Connection.IsClosed)
        {
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // A full fence, as on the relays' side (their counts change by Interlocked before they look for a waiter):
            // checked again once the waiter is visible, a relay that ended in between has either seen it or is counted here.
            Interlocked.Exchange(ref _relaysWaiter, waiter);
            if (RelaysReach(RelaysResume) && !Connection.IsClosed)
                await waiter.Task.ConfigureAwait(false);
            Interlocked.CompareExchange(ref _relaysWaiter, null, waiter);
        }
        if (Connection.IsClosed)
            return false;
        // Routed again: the cluster state may have moved on while the request waited.
        return await KeyOperationAsync(frame).ConfigureAwait(false);
    }

    /// <summary>A forward of this session was sent (<see cref="ForwardRequest.Rent"/>): its answer counts in <see cref="RelaysOverBound"/> until it comes back.</summary>
    internal void ForwardSent() => Interlocked.Increment(ref _forwardsInFlight);

    /// <summary>A forward of this session ended (its answer written or counted as copied, its error given, or it is sent again).</summary>
    internal void ForwardEnded()
    {
        Interlocked.Decrement(ref _forwardsInFlight);
        WakeForwarder();
    }

    /// <summary>Wakes the read loop if it waits for the relays and they are down to <see cref="RelaysResume"/>; one read when it does not wait.</summary>
    /// <remarks>No wake is lost: the relays' last end leaves nothing in flight and nothing copied, which is always below.</remarks>
    private void WakeForwarder()
    {
        if (Volatile.Read(ref _relaysWaiter) is not null && !RelaysReach(RelaysResume))
            Interlocked.Exchange(ref _relaysWaiter, null)?.TrySetResult();
    }

    /// <summary>Notes an owner's answer's size: the estimate rises to the largest and decays by an eighth per smaller answer.</summary>
    private void NoteAnswerSize(int length)
    {
        var estimate = Volatile.Read(ref _answerEstimate);
        var next = Math.Max(length, estimate - (estimate >> 3));
        // Racy on purpose (two links may relay at once): an estimate, a lost update costs nothing.
        if (next != estimate)
            Volatile.Write(ref _answerEstimate, next);
    }

    /// <summary>Sends a request this node is handing the key's slot away from to the slot's owner once the handover is over (<see cref="ReforwardAsync"/>).</summary>
    private ValueTask<bool> DeferAsync(in Frame frame)
    {
        DeferMoving(frame);
        return new ValueTask<bool>(true);
    }

    /// <summary>A client that keeps no slot table could do nothing with Moving: its request waits for the handover instead.</summary>
    protected internal override bool DefersMoving(in FrameHeader header) => (header.Flags & FrameFlags.Routed) == 0;

    protected internal override void DeferMoving(in Frame frame)
    {
        var length = (int)frame.Body.Length;
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        frame.Body.CopyTo(copy);
        AnswerOwed();
        _ = ReforwardAsync(frame.Header, copy, length, attempt: 0, _batchStarted);
    }

    /// <summary>
    /// A kept forward was answered WrongNode or Moving: after a pause (1 ms doubling to 32), runs it here if this node
    /// owns the key now, or forwards it to the owner of the current state; the owed answer stays owed meanwhile.
    /// </summary>
    internal async Task ReforwardAsync(FrameHeader header, byte[] body, int length, int attempt, long started)
    {
        try
        {
            var frame = new Frame(header, new ReadOnlySequence<byte>(body, 0, length));
            var mesh = _host.Mesh;
            SlotAssignment assignment;
            while (true)
            {
                await Task.Delay(HandoverRetry.DelayMs(attempt)).ConfigureAwait(false);
                var reader = new BodyReader(body.AsSpan(0, length));
                reader.TryReadKey(ReceiveLimits.MaxKeySize, out var key);
                assignment = mesh.Cluster.Current.Slots.AssignmentOf(KeySlot.Of(key));
                // Still here and still handing the slot over: wait more, up to the attempts' bound.
                if (assignment.Primary != mesh.Identity.SelfId || !mesh.Keyspace.IsHandedAway(key) || ++attempt >= ReforwardAttempts)
                    break;
            }
            if (assignment.Primary == mesh.Identity.SelfId)
            {
                await GiveAnswerAsync(new Mesh.Internal.LocalKeyReply(this, mesh.Keys, frame, ReceiveLimits)).ConfigureAwait(false);
                AnsweredLater(header.Opcode, StatusCode.Ok, started);
                return;
            }
            if (mesh.GetLink(assignment.Primary) is not { } link)
            {
                await GiveAnswerAsync(new ErrorReply(header.RequestId, header.Opcode, StatusCode.NodeUnavailable, mesh.UnavailableMessage(assignment.Primary))).ConfigureAwait(false);
                AnsweredLater(header.Opcode, StatusCode.NodeUnavailable, started);
                return;
            }
            var forward = ForwardRequest.Rent(this, header.RequestId, header.Opcode, assignment.Primary, started);
            if (attempt + 1 < ReforwardAttempts)
                forward.Keep(frame, attempt + 1);
            AnswerGiven(); // the new forward owes the answer now
            await link.SendForwardAsync(frame, forward).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>Writes the owner's answer back under the client's request id.</summary>
    /// <remarks>
    /// Runs on the link's read loop, which must not wait: a busy writer lock means copy and finish later. A copied answer
    /// counts in the session's relays (<see cref="RelaysOverBound"/>) before its forward ends, so it is never uncounted.
    /// </remarks>
    public void Relay(uint originRequestId, in FrameHeader header, in ReadOnlySequence<byte> body)
    {
        var length = (int)body.Length;
        NoteAnswerSize(length);
        if (TrySendNow(new RelayedReply(originRequestId, new Frame(header, body))))
        {
            ForwardEnded();
            AnswerGiven();
            return;
        }
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        body.CopyTo(copy);
        Interlocked.Add(ref _relaysHeld, length);
        ForwardEnded();
        _ = RelayLaterAsync(new CopiedReply(originRequestId, header, copy, length), length);
    }

    /// <summary>The forward failed (owner down, timeout): answer with that error.</summary>
    public void RelayError(uint originRequestId, Opcode opcode, StatusCode status, string message)
    {
        ForwardEnded();
        _ = GiveAnswerAsync(new ErrorReply(originRequestId, opcode, status, message));
    }

    /// <summary>Writes an owed answer now when the writer lock is free (completed task), otherwise once it is; either way counts it given.</summary>
    private Task GiveAnswerAsync<TReply>(in TReply reply)
        where TReply : struct, IReply
    {
        if (!TrySendNow(reply))
            return AnswerLaterAsync(reply);
        AnswerGiven();
        return Task.CompletedTask;
    }

    private async Task RelayLaterAsync(CopiedReply reply, int length)
    {
        try
        {
            await SendLaterAsync(reply).ConfigureAwait(false);
        }
        finally
        {
            reply.Return();
            Interlocked.Add(ref _relaysHeld, -length);
            WakeForwarder();
            AnswerGiven();
        }
    }

    /// <summary>Writes an owed answer once the writer lock is free, then counts it given.</summary>
    private async Task AnswerLaterAsync<TReply>(TReply reply)
        where TReply : struct, IReply
    {
        try
        {
            await SendLaterAsync(reply).ConfigureAwait(false);
        }
        finally
        {
            AnswerGiven();
        }
    }
}
