using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using FastDht.Protocol;

namespace FastDht.Engine.Connections;

// Design: large frames in pieces on a peer link, so that small frames pass them (docs/transport.md, "Fragments").
// Requirement: one TCP stream per pair of nodes carries data and control alike; a 60 MB value on it held every frame
// behind it (serving-lease renewals, heartbeat answers, replication acknowledgements, the answers to small writes) for
// as long as its bytes took, and a primary that streamed one large SET to its replica was failed over
// (docs/known-issues.md §1).
// Sender: a frame longer than SliceThreshold, to a peer that answered the Fragment probe, is written into a staging
// pipe first and then sent as Fragment frames of FragmentSize bytes, each flushed, holding the connection's writer
// lock from the first piece to the last, so no other holder's frame comes between them: the order in which a link's
// requests arrive, which the replication stream and the forwards rely on, is the order they were written, as before.
// What may pass is only what is written aside into the urgent pipe while a fragmented frame holds the lock, and the
// fragment sender copies it out between two pieces: responses (each answers its own request id; the order of answers
// never mattered, they already leave out of order when they wait for replicas) and the requests the caller marks
// urgent (Ping, LeaseRenew: about time and liveness, not about keys). Data requests wait for the lock, as before.
// Receiver: the pieces of one frame are appended to an assembly pipe as they arrive (memory grows with the bytes
// received, never past the frame limit the first piece's header is checked against), whole frames between them are
// served at once, and the whole frame is served when its last piece arrives. One fragmented frame at a time per
// direction (the sender holds the lock throughout), so one assembly; a peer that breaks a rule loses the link.
// Cost: nothing for a frame under the threshold beyond one comparison; a fragmented frame costs one copy into the
// staging pipe and 12 bytes per 64 KiB piece.

/// <summary>Frames sent and received in fragments on a peer link (see the design note above).</summary>
internal abstract partial class FrameSession
{
    /// <summary>Frames longer than this (header included) go out in fragments to a peer that takes them.</summary>
    internal const int SliceThreshold = 256 * 1024;

    /// <summary>The bytes of the whole frame each fragment carries: what a small frame waits behind at most, beyond the pipe and the sockets' buffers.</summary>
    internal const int FragmentSize = 64 * 1024;

    // The bytes of its own a fragment sender lets wait unsent in the output pipe before it waits for the socket.
    private const int PacingWindow = 4 * FragmentSize;

    // What may be written aside while a fragmented frame holds the lock; past it, writers wait for the lock as before
    // (a peer that stops reading must not make this pipe grow without bound).
    private const int MaxUrgentBytes = 1 << 20;

    // Staging, assembly and urgent pipes never pause their writer: each is bounded by its own rule (one frame within the
    // frame limit, MaxUrgentBytes), and their writers must never wait.
    private static readonly PipeOptions AsideOptions = new(pauseWriterThreshold: 0, minimumSegmentSize: 64 * 1024, useSynchronizationContext: false);

    private readonly Lock _urgentLock = new();
    private Pipe? _urgent;
    private int _urgentBytes;
    // Fragment senders that hold, or wait for, the writer lock; while it is above 0 urgent frames are written aside.
    private int _slicers;

    // The frame being reassembled: its whole length on the wire (0: none) and the bytes of it received so far.
    private Pipe? _assembly;
    private long _assemblyExpected;
    private long _assemblyReceived;
    // Assembled frames served in the current batch: their memory goes back at the batch's end, as the input's does.
    private List<Pipe>? _assembled;
    // The last large answer the read loop handed to the background: the next waits for it, so at most two are held.
    private Task? _readLoopFragments;

    private int _peerTakesFragments;

    /// <summary>Whether the peer answered the Fragment probe: then frames over <see cref="SliceThreshold"/> go to it in pieces.</summary>
    public bool PeerTakesFragments
    {
        get => Volatile.Read(ref _peerTakesFragments) != 0;
        protected set => Volatile.Write(ref _peerTakesFragments, value ? 1 : 0);
    }

    /// <summary>Whether this side reassembles Fragment frames (peer links); others hand them to <see cref="OnRequestAsync"/>, which refuses them.</summary>
    protected virtual bool TakesFragments => false;

    /// <summary>Whether a read frame is a piece of a larger one for this session to reassemble.</summary>
    private bool IsFragment(in FrameHeader header) =>
        header.Opcode == Opcode.Fragment && header.BodyLength > 0 && !header.IsResponse && TakesFragments;

    /// <summary>
    /// Appends one fragment to the frame being reassembled. True with <paramref name="whole"/> when it was the last piece;
    /// false with <paramref name="error"/> null when more pieces are to come, or with a message when the peer broke a rule.
    /// </summary>
    private bool TakeFragment(in Frame fragment, out Frame whole, out string? error)
    {
        whole = default;
        error = null;
        var body = fragment.Body;
        if (_assemblyExpected == 0)
        {
            if (body.Length < ProtocolConstants.HeaderSize)
            {
                error = $"the first fragment of a frame carries {body.Length} bytes, fewer than the frame's 12-byte header";
                return false;
            }
            Span<byte> header = stackalloc byte[ProtocolConstants.HeaderSize];
            body.Slice(0, ProtocolConstants.HeaderSize).CopyTo(header);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (length < ProtocolConstants.LengthOverhead || length > (uint)ReceiveLimits.MaxFrameSize)
            {
                error = $"a frame sent in fragments declares length {length}, outside 8..{ReceiveLimits.MaxFrameSize}";
                return false;
            }
            if ((Opcode)header[8] == Opcode.Fragment)
            {
                error = "a fragment carries a Fragment frame";
                return false;
            }
            _assemblyExpected = sizeof(uint) + (long)length;
            _assemblyReceived = 0;
            _assembly = new Pipe(AsideOptions);
        }
        if (_assemblyReceived + body.Length > _assemblyExpected)
        {
            error = $"fragments carry {_assemblyReceived + body.Length} bytes of a frame of {_assemblyExpected}";
            return false;
        }
        var writer = _assembly!.Writer;
        foreach (var segment in body)
            writer.Write(segment.Span);
        _assemblyReceived += body.Length;
        if (_assemblyReceived < _assemblyExpected)
            return false;

        // The last piece: the pipe never pauses, so the flush completes at once, and the frame is read as it lies there.
        var assembly = _assembly;
        _assembly = null;
        _assemblyExpected = 0;
        (_assembled ??= []).Add(assembly);
        _ = assembly.Writer.FlushAsync();
        assembly.Reader.TryRead(out var read);
        var bytes = read.Buffer;
        if (!FrameReader.TryReadFrame(ref bytes, ReceiveLimits, out whole, out var frameError) || !bytes.IsEmpty)
        {
            error = frameError.IsNone ? "a frame sent in fragments is not one whole frame" : $"a frame sent in fragments is malformed: {frameError.Message}";
            return false;
        }
        return true;
    }

    /// <summary>At a batch's end (and when the session ends): the memory of the frames reassembled in it goes back to the pool.</summary>
    private void ReleaseAssembled(bool closing)
    {
        if (_assembled is { Count: > 0 } done)
        {
            foreach (var pipe in done)
                CompletePipe(pipe);
            done.Clear();
        }
        if (closing && _assembly is { } unfinished)
        {
            _assembly = null;
            _assemblyExpected = 0;
            CompletePipe(unfinished);
        }
    }

    private static void CompletePipe(Pipe pipe)
    {
        pipe.Reader.Complete();
        pipe.Writer.Complete();
    }

    /// <summary>Whether a frame of <paramref name="frameLength"/> bytes goes to this peer in fragments.</summary>
    protected bool SendsInFragments(long frameLength) => frameLength > SliceThreshold && PeerTakesFragments;

    /// <summary>
    /// Sends <paramref name="request"/>, whose frame is over the threshold and whose id is registered, in fragments. The
    /// request is copied before this returns (the caller's buffers are free at once) and the writer lock is asked for at
    /// once, so the request keeps its place among the link's requests.
    /// </summary>
    private void SendRequestInFragments<TRequest>(in TRequest request, uint id)
        where TRequest : struct, IFrameRequest
    {
        var staging = new Pipe(AsideOptions);
        request.Write(staging.Writer, id);
        _ = SendStagedAsync(staging);
    }

    /// <summary>
    /// Answers on the read loop with a reply over the threshold: it is written now (so it runs in order, when it runs a
    /// request), then sent in fragments in the background while the loop goes on; a second large answer waits for the
    /// first, so the loop holds at most two.
    /// </summary>
    protected async ValueTask<bool> ReplyInFragmentsAsync<TReply>(TReply reply)
        where TReply : struct, IReply
    {
        var staging = new Pipe(AsideOptions);
        reply.Write(staging.Writer);
        Durability?.HoldThisThreadsWrites(Connection);
        return await SendInBackgroundAsync(staging).ConfigureAwait(false);
    }

    /// <summary>As <see cref="ReplyInFragmentsAsync{TReply}"/> for an answer already built (<paramref name="length"/> bytes of <paramref name="bytes"/>, rented: returned here).</summary>
    protected async ValueTask<bool> ReplyInFragmentsAsync(byte[] bytes, int length)
    {
        var staging = new Pipe(AsideOptions);
        staging.Writer.Write(bytes.AsSpan(0, length));
        ArrayPool<byte>.Shared.Return(bytes);
        return await SendInBackgroundAsync(staging).ConfigureAwait(false);
    }

    private async ValueTask<bool> SendInBackgroundAsync(Pipe staging)
    {
        if (_readLoopFragments is { IsCompleted: false } previous)
            await previous.ConfigureAwait(false);
        _readLoopFragments = SendStagedAsync(staging);
        return !Connection.IsClosed;
    }

    /// <summary>Sends the one frame a staging pipe holds in fragments, then gives the pipe's memory back.</summary>
    private async Task SendStagedAsync(Pipe staging)
    {
        try
        {
            _ = staging.Writer.FlushAsync(); // never pauses: completes at once
            staging.Reader.TryRead(out var read);
            await SendInFragmentsAsync(read.Buffer).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The connection failed meanwhile; its read loop fails every waiting request.
        }
        finally
        {
            CompletePipe(staging);
        }
    }

    /// <summary>
    /// Sends one whole frame (its header included) as Fragment frames, holding the writer lock from the first piece to the
    /// last; between two pieces, the frames written aside meanwhile go out whole. False when the connection closed.
    /// </summary>
    protected async Task<bool> SendInFragmentsAsync(ReadOnlySequence<byte> frame)
    {
        // Counted before the lock is asked for: from here a writer that finds the lock taken writes aside.
        lock (_urgentLock)
            _slicers++;
        PipeWriter? writer = null;
        var open = false;
        try
        {
            // Asked for synchronously when the caller calls: the frame keeps its place in the lock's queue.
            writer = Connection.TryEnterWrite(out var free) ? free : await EnterSlowAsync(Connection).ConfigureAwait(false);
            if (writer is null)
                return false;
            // Paced by what the socket takes: a peer link's output pipe pauses only at twice the frame limit, so without
            // this every piece would be in the pipe at once and a frame put aside would wait behind all of them. Bytes
            // flushed before this sender took the lock and not sent yet count as its own here: it then runs ahead by them.
            var sentBefore = Connection.BytesSent;
            long flushed = 0;
            var rest = frame;
            while (!rest.IsEmpty)
            {
                CopyUrgent(writer);
                var piece = rest.Slice(0, Math.Min(FragmentSize, rest.Length));
                FrameWriter.WriteFragment(writer, piece);
                rest = rest.Slice(piece.End);
                flushed += writer.UnflushedBytes;
                if (!await Connection.FlushHoldingLockAsync().ConfigureAwait(false))
                    return false;
                if (flushed - (Connection.BytesSent - sentBefore) > PacingWindow)
                    await Connection.WaitUntilSentAsync(sentBefore + flushed - PacingWindow / 2).ConfigureAwait(false);
                if (Connection.IsClosed)
                    return false;
            }
            open = true;
            return true;
        }
        finally
        {
            lock (_urgentLock)
            {
                _slicers--;
                // The last fragment sender takes what is still aside under the same lock that lets writers put it there,
                // so nothing is left behind once writers stop putting frames aside.
                if (writer is not null)
                    CopyUrgentLocked(writer);
                else if (_slicers == 0)
                    DropUrgentLocked();
            }
            if (writer is not null)
                Observe(Connection.ExitWriteAsync(flush: open));
        }
    }

    /// <summary>Writes what was put aside into the connection's writer; called with the writer lock held.</summary>
    private void CopyUrgent(PipeWriter writer)
    {
        if (Volatile.Read(ref _urgentBytes) == 0)
            return;
        lock (_urgentLock)
            CopyUrgentLocked(writer);
    }

    private void CopyUrgentLocked(PipeWriter writer)
    {
        if (_urgent is not { } urgent || _urgentBytes == 0)
            return;
        _ = urgent.Writer.FlushAsync(); // never pauses: completes at once
        urgent.Reader.TryRead(out var read);
        foreach (var segment in read.Buffer)
            writer.Write(segment.Span);
        urgent.Reader.AdvanceTo(read.Buffer.End);
        Volatile.Write(ref _urgentBytes, 0);
    }

    // A fragment sender that never got the lock (the connection closed): what waited aside is dropped with the connection.
    private void DropUrgentLocked()
    {
        if (_urgent is not { } urgent || _urgentBytes == 0)
            return;
        _ = urgent.Writer.FlushAsync();
        urgent.Reader.TryRead(out var read);
        urgent.Reader.AdvanceTo(read.Buffer.End);
        Volatile.Write(ref _urgentBytes, 0);
    }

    /// <summary>
    /// While a fragmented frame holds the writer lock: writes <paramref name="reply"/> aside, to go out between two of its
    /// pieces, and takes this thread's durability mark (as <see cref="EndResponse"/> does) in the same step. False when no
    /// fragmented frame is being sent or the aside bound is reached: then the caller waits for the lock as before.
    /// </summary>
    private bool TryReplyAside<TReply>(in TReply reply, bool holdWrites)
        where TReply : struct, IReply
    {
        if (EnterAside() is not { } writer)
            return false;
        try
        {
            reply.Write(writer);
            // Under the lock: the sender copies it out only after the mark is taken, so its flush waits for it.
            if (holdWrites)
                Durability?.HoldThisThreadsWrites(Connection);
        }
        finally
        {
            ExitAside(writer);
        }
        return true;
    }

    /// <summary>As <see cref="TryReplyAside{TReply}"/> for an answer already built.</summary>
    protected bool TryReplyAside(ReadOnlySpan<byte> reply)
    {
        if (EnterAside() is not { } writer)
            return false;
        writer.Write(reply);
        ExitAside(writer);
        return true;
    }

    /// <summary>While a fragmented frame holds the writer lock: writes an urgent request (Ping, LeaseRenew) aside; false as <see cref="TryReplyAside{TReply}"/>.</summary>
    private bool TryRequestAside<TRequest>(in TRequest request, uint id)
        where TRequest : struct, IFrameRequest
    {
        if (EnterAside() is not { } writer)
            return false;
        try
        {
            request.Write(writer, id);
        }
        finally
        {
            ExitAside(writer);
        }
        return true;
    }

    /// <summary>Takes the aside lock and its writer for one whole frame; null (lock not held) when no fragment sender is there or the bound is reached.</summary>
    private PipeWriter? EnterAside()
    {
        if (Volatile.Read(ref _slicers) == 0)
            return null;
        _urgentLock.Enter();
        if (_slicers == 0 || _urgentBytes >= MaxUrgentBytes)
        {
            _urgentLock.Exit();
            return null;
        }
        return (_urgent ??= new Pipe(AsideOptions)).Writer;
    }

    /// <summary>Makes the frame written aside readable by the fragment sender and releases the aside lock.</summary>
    private void ExitAside(PipeWriter writer)
    {
        Volatile.Write(ref _urgentBytes, _urgentBytes + (int)writer.UnflushedBytes);
        _ = writer.FlushAsync(); // never pauses: completes at once
        _urgentLock.Exit();
    }

    /// <summary>Whether a fragmented frame holds (or waits for) the writer lock: its sender will flush what the batch wrote.</summary>
    private bool FragmentsPending => Volatile.Read(ref _slicers) > 0;
}
